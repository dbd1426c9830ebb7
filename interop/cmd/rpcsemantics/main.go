// Command rpcsemantics is the Go side of the gRPC semantics suite: grpc-go (as
// go-plugin v1.8.0 pins it) serving and calling rpctest.Semantics, against the
// TypeScript engines.
//
//	rpcsemantics serve <socket> [-max-recv N] [-max-age D]   serve until stdin closes; prints READY
//	rpcsemantics client <socket> -small <socket>              run every check; print a JSON report
//	rpcsemantics greeter-client unix|tcp <address>            run the checks of examples/grpc's server; print a JSON report
//
// serve also serves greeter.Greeter, the Go peer of the examples/grpc client.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: rpcsemantics serve|client <socket> [flags]")
		os.Exit(2)
	}
	mode, sock := os.Args[1], os.Args[2]
	if mode == "greeter-client" && len(os.Args) == 4 {
		os.Exit(runGreeterClient(os.Args[2], os.Args[3]))
	}
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	maxRecv := fs.Int("max-recv", 4<<20, "largest request message the server accepts")
	maxAge := fs.Duration("max-age", 0, "connection age after which the server sends GOAWAY (0: never)")
	pingMin := fs.Duration("ping-min-time", 0, "keepalive enforcement: PINGs closer than this are strikes (0: grpc-go's default, 5 min)")
	small := fs.String("small", "", "client: a server with the default 4 MiB request limit, for the oversize checks")
	fs.Parse(os.Args[3:])
	switch mode {
	case "serve":
		serve(sock, *maxRecv, *maxAge, *pingMin)
	case "client":
		os.Exit(runClient(sock, *small))
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", mode)
		os.Exit(2)
	}
}

func serve(sock string, maxRecv int, maxAge, pingMin time.Duration) {
	lis, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	opts := []grpc.ServerOption{grpc.MaxRecvMsgSize(maxRecv)}
	if maxAge > 0 {
		opts = append(opts, grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionAge: maxAge, MaxConnectionAgeGrace: 30 * time.Second}))
	}
	if pingMin > 0 {
		opts = append(opts, grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: pingMin}))
	}
	g := grpc.NewServer(opts...)
	s := &server{rec: newRecords()}
	s.shutdown = g.GracefulStop
	s.register(g)
	registerGreeter(g)
	go func() {
		// The test harness owns this process: stdin closing means stop.
		io.Copy(io.Discard, os.Stdin)
		g.Stop()
		os.Exit(0)
	}()
	fmt.Println("READY")
	if err := g.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
