package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

type result struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

var (
	unaryDesc  = &grpc.StreamDesc{}
	serverDesc = &grpc.StreamDesc{ServerStreams: true}
	clientDesc = &grpc.StreamDesc{ClientStreams: true}
	bidiDesc   = &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}
)

func dial(sock string) *grpc.ClientConn {
	cc, err := grpc.Dial("unix://"+sock,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20), grpc.MaxCallSendMsgSize(128<<20)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return cc
}

func withMD(ctx context.Context, kv ...string) context.Context {
	return metadata.NewOutgoingContext(ctx, metadata.Pairs(kv...))
}

func expectCode(err error, want codes.Code, msg string) error {
	s := status.Convert(err)
	if s.Code() != want {
		return fmt.Errorf("got %v %q, want %v", s.Code(), s.Message(), want)
	}
	if msg != "" && s.Message() != msg {
		return fmt.Errorf("got message %q, want %q", s.Message(), msg)
	}
	return nil
}

func report(cc *grpc.ClientConn, id string) (string, error) {
	ctx, cancel := context.WithTimeout(withMD(context.Background(), "x-mode", "report", "x-id", id), 15*time.Second)
	defer cancel()
	out := new(wrapperspb.BytesValue)
	if err := cc.Invoke(ctx, pathUnary, wrapperspb.Bytes(nil), out); err != nil {
		return "", err
	}
	return string(out.Value), nil
}

func expectRecord(cc *grpc.ClientConn, id string, want codes.Code) error {
	got, err := report(cc, id)
	if err != nil {
		return fmt.Errorf("report %s: %v", id, err)
	}
	if got != strconv.Itoa(int(want)) {
		return fmt.Errorf("handler recorded %s, want %d (%v)", got, want, want)
	}
	return nil
}

// checker returns a function that runs one named check and records its outcome in results.
func checker(results *[]result) func(name string, fn func() error) {
	return func(name string, fn func() error) {
		err := fn()
		r := result{Name: name, OK: err == nil}
		if err != nil {
			r.Error = err.Error()
		}
		*results = append(*results, r)
	}
}

func runClient(sock, small string) int {
	cc := dial(sock)
	defer cc.Close()
	var results []result
	check := checker(&results)
	bg := context.Background()

	check("metadata text and binary echoed in headers and trailers", func() error {
		bin := string([]byte{0, 1, 2, 255, '\n', ','})
		ctx := withMD(bg, "x-echo-text", "hello, world", "x-echo-bin", bin, "x-other", "not echoed", "x-echo-multi", "a, b", "x-echo-multi", "c")
		var h, t metadata.MD
		out := new(wrapperspb.BytesValue)
		if err := cc.Invoke(ctx, pathUnary, wrapperspb.Bytes([]byte("ping")), out, grpc.Header(&h), grpc.Trailer(&t)); err != nil {
			return err
		}
		if string(out.Value) != "ping" {
			return fmt.Errorf("payload %q", out.Value)
		}
		for name, md := range map[string]metadata.MD{"headers": h, "trailers": t} {
			if first(md, "x-echo-text") != "hello, world" || first(md, "x-echo-bin") != bin || len(md.Get("x-other")) != 0 {
				return fmt.Errorf("%s: %v", name, md)
			}
			if m := md.Get("x-echo-multi"); len(m) != 2 || m[0] != "a, b" || m[1] != "c" {
				return fmt.Errorf("%s: repeated key: %q", name, m)
			}
		}
		return nil
	})

	check("response headers carry no date, as grpc-go's server sends none", func() error {
		var h metadata.MD
		if err := cc.Invoke(bg, pathUnary, wrapperspb.Bytes(nil), new(wrapperspb.BytesValue), grpc.Header(&h)); err != nil {
			return err
		}
		if d := h.Get("date"); len(d) != 0 {
			return fmt.Errorf("date header %q", d)
		}
		return nil
	})

	check("server stream and bidi: metadata echoed in headers and trailers", func() error {
		bin := string([]byte{0, 255, ','})
		for _, c := range []struct {
			path string
			desc *grpc.StreamDesc
		}{{pathServer, serverDesc}, {pathBidi, bidiDesc}} {
			ctx, cancel := context.WithTimeout(withMD(bg, "x-echo-s", "v", "x-echo-s-bin", bin, "x-count", "2"), 10*time.Second)
			defer cancel()
			st, err := cc.NewStream(ctx, c.desc, c.path)
			if err != nil {
				return err
			}
			if c.desc.ClientStreams {
				for i := 0; i < 2; i++ {
					if err := st.SendMsg(wrapperspb.Bytes([]byte("x"))); err != nil {
						return err
					}
				}
			} else if err := st.SendMsg(wrapperspb.Bytes([]byte("x"))); err != nil {
				return err
			}
			if err := st.CloseSend(); err != nil {
				return err
			}
			h, err := st.Header()
			if err != nil {
				return err
			}
			n := 0
			for {
				if err := st.RecvMsg(new(wrapperspb.BytesValue)); err == io.EOF {
					break
				} else if err != nil {
					return fmt.Errorf("%s: %v", c.path, err)
				}
				n++
			}
			t := st.Trailer()
			if n != 2 || first(h, "x-echo-s") != "v" || first(h, "x-echo-s-bin") != bin || first(t, "x-echo-s") != "v" || first(t, "x-echo-s-bin") != bin {
				return fmt.Errorf("%s: %d messages, headers %v, trailers %v", c.path, n, h, t)
			}
		}
		return nil
	})

	check("binary metadata: padded and unpadded base64 read alike; malformed is INTERNAL", func() error {
		for _, v := range []string{"AAEC/w", "AAEC/w=="} {
			st, msg, h, err := rawMetadataCall(sock, "x-echo-bin", v)
			if err != nil {
				return err
			}
			if st != "0" || h.Get("x-echo-bin") != "AAEC/w" {
				return fmt.Errorf("%s: status %s %q, echoed %q", v, st, msg, h.Values("x-echo-bin"))
			}
		}
		st, msg, _, err := rawMetadataCall(sock, "x-echo-bin", "AA*C")
		if err != nil {
			return err
		}
		if st != "13" || !strings.HasPrefix(msg, `malformed binary metadata "AA*C" in header "x-echo-bin"`) {
			return fmt.Errorf("malformed: status %s %q", st, msg)
		}
		return nil
	})

	check("every status code with message, details and trailers", func() error {
		msg := "bad % thing ✓\nnext line"
		for code := 1; code <= 16; code++ {
			var t metadata.MD
			ctx := withMD(bg, "x-mode", "status", "x-code", strconv.Itoa(code), "x-message-bin", msg, "x-details", "detail "+strconv.Itoa(code))
			err := cc.Invoke(ctx, pathUnary, wrapperspb.Bytes(nil), new(wrapperspb.BytesValue), grpc.Trailer(&t))
			s := status.Convert(err)
			if int(s.Code()) != code || s.Message() != msg {
				return fmt.Errorf("code %d: got %v %q", code, s.Code(), s.Message())
			}
			d := s.Details()
			if len(d) != 1 {
				return fmt.Errorf("code %d: details %v", code, d)
			}
			if sv, ok := d[0].(*wrapperspb.StringValue); !ok || sv.Value != "detail "+strconv.Itoa(code) {
				return fmt.Errorf("code %d: details %v", code, d)
			}
			if first(t, "x-trail") != "t" || first(t, "x-trail-bin") != string([]byte{0, 1, 2, 255}) {
				return fmt.Errorf("code %d: trailers %v", code, t)
			}
		}
		return nil
	})

	check("client deadline expires while the handler waits: DEADLINE_EXCEEDED; the handler's call ends", func() error {
		ctx, cancel := context.WithTimeout(withMD(bg, "x-mode", "wait", "x-id", "deadline-unary"), 300*time.Millisecond)
		defer cancel()
		if err := expectCode(cc.Invoke(ctx, pathUnary, wrapperspb.Bytes(nil), new(wrapperspb.BytesValue)), codes.DeadlineExceeded, ""); err != nil {
			return err
		}
		// The client resets the stream at its deadline, racing the server's own timer: either ends the handler.
		got, err := report(cc, "deadline-unary")
		if err != nil {
			return err
		}
		if got != strconv.Itoa(int(codes.DeadlineExceeded)) && got != strconv.Itoa(int(codes.Canceled)) {
			return fmt.Errorf("handler recorded %s", got)
		}
		return nil
	})

	check("server-side deadline (grpc-timeout, no client timer) expires: the handler sees DEADLINE_EXCEEDED, the status says so", func() error {
		code, err := rawTimeoutCall(sock, "200m", "deadline-server")
		if err != nil {
			return err
		}
		if code != strconv.Itoa(int(codes.DeadlineExceeded)) {
			return fmt.Errorf("grpc-status %q", code)
		}
		return expectRecord(cc, "deadline-server", codes.DeadlineExceeded)
	})

	check("handler reads its deadline", func() error {
		ctx, cancel := context.WithTimeout(withMD(bg, "x-mode", "deadline"), 5*time.Second)
		defer cancel()
		out := new(wrapperspb.BytesValue)
		if err := cc.Invoke(ctx, pathUnary, wrapperspb.Bytes(nil), out); err != nil {
			return err
		}
		ms, err := strconv.Atoi(string(out.Value))
		if err != nil || ms <= 2000 || ms > 5000 {
			return fmt.Errorf("handler saw %q ms left of 5000", out.Value)
		}
		out2 := new(wrapperspb.BytesValue)
		if err := cc.Invoke(withMD(bg, "x-mode", "deadline"), pathUnary, wrapperspb.Bytes(nil), out2); err != nil {
			return err
		}
		if string(out2.Value) != "none" {
			return fmt.Errorf("without a deadline the handler saw %q", out2.Value)
		}
		return nil
	})

	check("client cancels a server stream mid-stream; the handler sees CANCELLED", func() error {
		ctx, cancel := context.WithCancel(withMD(bg, "x-mode", "hang", "x-id", "cancel-server-stream"))
		defer cancel() // cancelled below mid-stream; this covers the early returns
		st, err := cc.NewStream(ctx, serverDesc, pathServer)
		if err != nil {
			return err
		}
		st.SendMsg(wrapperspb.Bytes([]byte("a")))
		st.CloseSend()
		if err := st.RecvMsg(new(wrapperspb.BytesValue)); err != nil {
			return err
		}
		cancel()
		if err := expectCode(st.RecvMsg(new(wrapperspb.BytesValue)), codes.Canceled, ""); err != nil {
			return err
		}
		return expectRecord(cc, "cancel-server-stream", codes.Canceled)
	})

	check("client cancels a client stream mid-stream; the handler's read fails with CANCELLED", func() error {
		ctx, cancel := context.WithCancel(withMD(bg, "x-id", "cancel-client-stream"))
		defer cancel() // cancelled below mid-stream; this covers the early returns
		st, err := cc.NewStream(ctx, clientDesc, pathClient)
		if err != nil {
			return err
		}
		for i := 0; i < 3; i++ {
			if err := st.SendMsg(wrapperspb.Bytes([]byte("x"))); err != nil {
				return err
			}
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
		return expectRecord(cc, "cancel-client-stream", codes.Canceled)
	})

	check("client cancels a bidi stream mid-stream; the handler's read fails with CANCELLED", func() error {
		ctx, cancel := context.WithCancel(withMD(bg, "x-id", "cancel-bidi"))
		defer cancel() // cancelled below mid-stream; this covers the early returns
		st, err := cc.NewStream(ctx, bidiDesc, pathBidi)
		if err != nil {
			return err
		}
		st.SendMsg(wrapperspb.Bytes([]byte("x")))
		if err := st.RecvMsg(new(wrapperspb.BytesValue)); err != nil {
			return err
		}
		cancel()
		return expectRecord(cc, "cancel-bidi", codes.Canceled)
	})

	check("client stream counted; server stream of 100 messages", func() error {
		st, err := cc.NewStream(bg, clientDesc, pathClient)
		if err != nil {
			return err
		}
		for i := 0; i < 50; i++ {
			st.SendMsg(wrapperspb.Bytes([]byte("x")))
		}
		st.CloseSend()
		out := new(wrapperspb.BytesValue)
		if err := st.RecvMsg(out); err != nil {
			return err
		}
		if string(out.Value) != "50" {
			return fmt.Errorf("counted %q", out.Value)
		}
		ss, err := cc.NewStream(withMD(bg, "x-count", "100"), serverDesc, pathServer)
		if err != nil {
			return err
		}
		ss.SendMsg(wrapperspb.Bytes([]byte("y")))
		ss.CloseSend()
		n := 0
		for {
			err := ss.RecvMsg(new(wrapperspb.BytesValue))
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			n++
		}
		if n != 100 {
			return fmt.Errorf("received %d of 100", n)
		}
		return nil
	})

	for _, size := range []int{1 << 20, 64 << 20} {
		size := size
		check(fmt.Sprintf("%d-byte message echoed", size), func() error {
			in := bytes.Repeat([]byte{0x5a, 0xa5, 0x01}, size/3+1)[:size]
			out := new(wrapperspb.BytesValue)
			ctx, cancel := context.WithTimeout(bg, 60*time.Second)
			defer cancel()
			if err := cc.Invoke(ctx, pathUnary, wrapperspb.Bytes(in), out); err != nil {
				return err
			}
			if !bytes.Equal(in, out.Value) {
				return fmt.Errorf("echo differs (%d bytes back)", len(out.Value))
			}
			return nil
		})
	}

	check("1000 concurrent streams", func() error {
		ctx, cancel := context.WithTimeout(bg, 60*time.Second)
		defer cancel()
		streams := make([]grpc.ClientStream, 1000)
		for i := range streams {
			st, err := cc.NewStream(ctx, bidiDesc, pathBidi)
			if err != nil {
				return err
			}
			if err := st.SendMsg(wrapperspb.Bytes([]byte(strconv.Itoa(i)))); err != nil {
				return err
			}
			streams[i] = st
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(streams))
		for i, st := range streams {
			wg.Add(1)
			go func(i int, st grpc.ClientStream) {
				defer wg.Done()
				out := new(wrapperspb.BytesValue)
				if err := st.RecvMsg(out); err != nil || string(out.Value) != strconv.Itoa(i) {
					errs <- fmt.Errorf("stream %d: %v %q", i, err, out.Value)
					return
				}
				st.CloseSend()
				if err := st.RecvMsg(out); err != io.EOF {
					errs <- fmt.Errorf("stream %d end: %v", i, err)
				}
			}(i, st)
		}
		wg.Wait()
		close(errs)
		return <-errs
	})

	check("unknown service and method are UNIMPLEMENTED", func() error {
		if err := expectCode(cc.Invoke(bg, "/rpctest.Semantics/Nope", wrapperspb.Bytes(nil), new(wrapperspb.BytesValue)),
			codes.Unimplemented, "unknown method Nope for service rpctest.Semantics"); err != nil {
			return err
		}
		return expectCode(cc.Invoke(bg, "/nope.Service/Call", wrapperspb.Bytes(nil), new(wrapperspb.BytesValue)),
			codes.Unimplemented, "unknown service nope.Service")
	})

	check("a compressed request is refused as by grpc-go", func() error {
		return expectCode(cc.Invoke(bg, pathUnary, wrapperspb.Bytes([]byte("z")), new(wrapperspb.BytesValue), grpc.UseCompressor("gzip")),
			codes.Unimplemented, `grpc: Decompressor is not installed for grpc-encoding "gzip"`)
	})

	if small != "" {
		sc := dial(small)
		defer sc.Close()
		check("oversize request is RESOURCE_EXHAUSTED", func() error {
			return expectCode(sc.Invoke(bg, pathUnary, wrapperspb.Bytes(make([]byte, 4<<20)), new(wrapperspb.BytesValue)),
				codes.ResourceExhausted, "")
		})
		check("oversize response is RESOURCE_EXHAUSTED at the client", func() error {
			return expectCode(sc.Invoke(withMD(bg, "x-mode", "size", "x-size", strconv.Itoa(1<<20+1)), pathUnary, wrapperspb.Bytes(nil),
				new(wrapperspb.BytesValue), grpc.MaxCallRecvMsgSize(1<<20)), codes.ResourceExhausted, "")
		})
		check("the server still serves after refusing oversize messages", func() error {
			return sc.Invoke(bg, pathUnary, wrapperspb.Bytes([]byte("ok")), new(wrapperspb.BytesValue))
		})
	}

	// Last: it stops the server.
	check("graceful shutdown: GOAWAY, a stream in flight completes, new calls are UNAVAILABLE", func() error {
		ctx, cancel := context.WithTimeout(bg, 30*time.Second)
		defer cancel()
		st, err := cc.NewStream(ctx, bidiDesc, pathBidi)
		if err != nil {
			return err
		}
		out := new(wrapperspb.BytesValue)
		st.SendMsg(wrapperspb.Bytes([]byte("before")))
		if err := st.RecvMsg(out); err != nil {
			return err
		}
		if err := cc.Invoke(withMD(ctx, "x-mode", "shutdown"), pathUnary, wrapperspb.Bytes(nil), new(wrapperspb.BytesValue)); err != nil {
			return fmt.Errorf("shutdown call: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
		if err := st.SendMsg(wrapperspb.Bytes([]byte("after"))); err != nil {
			return fmt.Errorf("send after GOAWAY: %v", err)
		}
		if err := st.RecvMsg(out); err != nil || string(out.Value) != "after" {
			return fmt.Errorf("receive after GOAWAY: %v %q", err, out.Value)
		}
		st.CloseSend()
		if err := st.RecvMsg(out); err != io.EOF {
			return fmt.Errorf("end of the stream in flight: %v", err)
		}
		nctx, ncancel := context.WithTimeout(bg, 3*time.Second)
		defer ncancel()
		return expectCode(cc.Invoke(nctx, pathUnary, wrapperspb.Bytes(nil), new(wrapperspb.BytesValue)), codes.Unavailable, "")
	})

	json.NewEncoder(os.Stdout).Encode(results)
	return 0
}
