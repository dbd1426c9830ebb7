// Command loop-descriptors dumps every protobuf file registered in the Go
// process (chainlink-common's pkg/loop, go-plugin's internal protos and the
// gRPC health service) as one binary google.protobuf.FileDescriptorSet on
// stdout, files sorted by path.
//
// A few generated Go files import another file under a path that differs
// from the path that file was registered under (Go resolves the types
// through the generated code, so the import stays a placeholder). By default
// such an import is rewritten to the registered path of the file it names
// (the registered path is a trailing path segment of the import), so the set
// is self-contained; the result is validated with protodesc.NewFiles. -raw
// keeps the imports as registered, -aliases lists the rewrites
// (file<TAB>import<TAB>registered path).
//
// With -list it prints one line per file instead: path, proto package and
// the file's services (full names, comma separated), separated by tabs.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// Registration side effects only.
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/smartcontractkit/chainlink-common/pkg/loop"
	_ "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	list := flag.Bool("list", false, "print path<TAB>package<TAB>services per file instead of the binary set")
	raw := flag.Bool("raw", false, "keep imports exactly as registered (the set may then not be self-contained)")
	aliases := flag.Bool("aliases", false, "print the import rewrites (file<TAB>import<TAB>registered path) and exit")
	flag.Parse()

	var files []protoreflect.FileDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		files = append(files, fd)
		return true
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path() < files[j].Path() })

	if *list {
		w := bufio.NewWriter(os.Stdout)
		for _, fd := range files {
			var svcs []string
			for i := 0; i < fd.Services().Len(); i++ {
				svcs = append(svcs, string(fd.Services().Get(i).FullName()))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", fd.Path(), fd.Package(), strings.Join(svcs, ","))
		}
		if err := w.Flush(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}

	registered := map[string]bool{}
	for _, fd := range files {
		registered[fd.Path()] = true
	}
	resolve := func(imp string) (string, bool) {
		var found []string
		for p := range registered {
			if strings.HasSuffix(imp, "/"+p) {
				found = append(found, p)
			}
		}
		if len(found) != 1 {
			return "", false
		}
		return found[0], true
	}

	set := &descriptorpb.FileDescriptorSet{}
	var rewrites []string
	for _, fd := range files {
		fdp := protodesc.ToFileDescriptorProto(fd)
		if !*raw {
			for i, dep := range fdp.Dependency {
				if registered[dep] {
					continue
				}
				p, ok := resolve(dep)
				if !ok {
					fmt.Fprintf(os.Stderr, "%s: import %q is not registered and has no unique registered suffix\n", fd.Path(), dep)
					os.Exit(1)
				}
				fdp.Dependency[i] = p
				rewrites = append(rewrites, fmt.Sprintf("%s\t%s\t%s", fd.Path(), dep, p))
			}
		}
		set.File = append(set.File, fdp)
	}
	if *aliases {
		for _, r := range rewrites {
			fmt.Println(r)
		}
		return
	}
	if !*raw {
		if _, err := protodesc.NewFiles(set); err != nil {
			fmt.Fprintln(os.Stderr, "descriptor set does not resolve:", err)
			os.Exit(1)
		}
	}
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
