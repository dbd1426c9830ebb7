package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// greeter.Greeter (examples/grpc/proto/greeter.proto), declared by hand on
// google.protobuf.StringValue: the Go peer of the TypeScript example, with
// the same behaviour as examples/grpc/server.ts.
const (
	greeterHello = "/greeter.Greeter/Hello"
	greeterShout = "/greeter.Greeter/Shout"
)

func greeterHelloImpl(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	switch in.Value {
	case "":
		st, err := status.New(codes.InvalidArgument, "name is empty").WithDetails(wrapperspb.String("field: value"))
		if err != nil {
			return nil, err
		}
		return nil, st.Err()
	case "slow":
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	grpc.SendHeader(ctx, metadata.Pairs("x-greeter", "go"))
	grpc.SetTrailer(ctx, metadata.Pairs("x-served-by-bin", string([]byte{0xca, 0xfe})))
	word := "hello"
	if first(md, "x-lang") == "fr" {
		word = "bonjour"
	}
	return wrapperspb.String(word + ", " + in.Value), nil
}

func greeterShoutImpl(st grpc.ServerStream) error {
	for {
		in := new(wrapperspb.StringValue)
		if err := st.RecvMsg(in); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := st.SendMsg(wrapperspb.String(strings.ToUpper(in.Value))); err != nil {
			return err
		}
	}
}

func registerGreeter(g *grpc.Server) {
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: "greeter.Greeter",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Hello",
			Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				in := new(wrapperspb.StringValue)
				if err := dec(in); err != nil {
					return nil, err
				}
				return greeterHelloImpl(ctx, in)
			},
		}},
		Streams: []grpc.StreamDesc{
			{StreamName: "Shout", ClientStreams: true, ServerStreams: true, Handler: func(_ any, st grpc.ServerStream) error { return greeterShoutImpl(st) }},
		},
		Metadata: "proto/greeter.proto",
	}, nil)
}

// runGreeterClient calls the example's server as grpc-go does and prints a
// JSON report of checks, as runClient does.
func runGreeterClient(network, address string) int {
	target := "unix://" + address
	if network == "tcp" {
		target = address
	}
	cc, err := grpc.Dial(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cc.Close()
	var results []result
	check := checker(&results)
	bg := context.Background()

	check("hello: request metadata read; response header and binary trailer received", func() error {
		var h, t metadata.MD
		out := new(wrapperspb.StringValue)
		ctx, cancel := context.WithTimeout(withMD(bg, "x-lang", "fr"), 10*time.Second)
		defer cancel()
		if err := cc.Invoke(ctx, greeterHello, wrapperspb.String("go"), out, grpc.Header(&h), grpc.Trailer(&t)); err != nil {
			return err
		}
		if out.Value != "bonjour, go" || first(h, "x-greeter") != "ts" || hex.EncodeToString([]byte(first(t, "x-served-by-bin"))) != "cafe" {
			return fmt.Errorf("reply %q headers %v trailers %v", out.Value, h, t)
		}
		return nil
	})
	check("empty name: INVALID_ARGUMENT with a StringValue detail", func() error {
		err := cc.Invoke(bg, greeterHello, wrapperspb.String(""), new(wrapperspb.StringValue))
		s := status.Convert(err)
		if s.Code() != codes.InvalidArgument || s.Message() != "name is empty" {
			return fmt.Errorf("got %v %q", s.Code(), s.Message())
		}
		if d := s.Details(); len(d) != 1 || d[0].(*wrapperspb.StringValue).GetValue() != "field: value" {
			return fmt.Errorf("details %v", s.Details())
		}
		return nil
	})
	check("slow with a 300 ms deadline: DEADLINE_EXCEEDED", func() error {
		ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
		defer cancel()
		return expectCode(cc.Invoke(ctx, greeterHello, wrapperspb.String("slow"), new(wrapperspb.StringValue)), codes.DeadlineExceeded, "")
	})
	check("slow cancelled after 300 ms: CANCELLED", func() error {
		ctx, cancel := context.WithCancel(bg)
		time.AfterFunc(300*time.Millisecond, cancel)
		return expectCode(cc.Invoke(ctx, greeterHello, wrapperspb.String("slow"), new(wrapperspb.StringValue)), codes.Canceled, "")
	})
	check("shout: two words back in upper case, then a cancel mid-stream", func() error {
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		st, err := cc.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, greeterShout)
		if err != nil {
			return err
		}
		for _, w := range []string{"a", "b"} {
			if err := st.SendMsg(wrapperspb.String(w)); err != nil {
				return err
			}
			out := new(wrapperspb.StringValue)
			if err := st.RecvMsg(out); err != nil {
				return err
			}
			if out.Value != strings.ToUpper(w) {
				return fmt.Errorf("got %q", out.Value)
			}
		}
		cancel()
		if err := st.RecvMsg(new(wrapperspb.StringValue)); status.Code(err) != codes.Canceled {
			return fmt.Errorf("after cancel: %v", err)
		}
		return nil
	})
	json.NewEncoder(os.Stdout).Encode(results)
	for _, r := range results {
		if !r.OK {
			return 1
		}
	}
	return 0
}
