package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// rpctest.Semantics, declared by hand on google.protobuf.BytesValue (see
// test/proto/rpctest/semantics.proto). What a call does is chosen by its request
// metadata, so one service covers every case of the suite:
//
//	x-mode   echo (default) | metadata | status | deadline | wait | report | size | count | hang | shutdown
//	x-id     key under which a handler records what ended its call, read back by mode "report"
const (
	serviceName = "rpctest.Semantics"
	pathUnary   = "/rpctest.Semantics/Unary"
	pathServer  = "/rpctest.Semantics/ServerStream"
	pathClient  = "/rpctest.Semantics/ClientStream"
	pathBidi    = "/rpctest.Semantics/Bidi"
)

type bytesStream interface {
	Context() context.Context
	SendMsg(any) error
	RecvMsg(any) error
	SetHeader(metadata.MD) error
	SetTrailer(metadata.MD)
}

// echoOnStream sends the request's x-echo* metadata back in the response headers and trailers.
func echoOnStream(st bytesStream, md metadata.MD) error {
	if e := echoed(md); len(e) > 0 {
		if err := st.SetHeader(e); err != nil {
			return err
		}
		st.SetTrailer(e)
	}
	return nil
}

// records keeps what ended each recorded call, by x-id.
type records struct {
	mu   sync.Mutex
	m    map[string]string
	wake chan struct{}
}

func newRecords() *records { return &records{m: map[string]string{}, wake: make(chan struct{})} }

func (r *records) put(id, v string) {
	if id == "" {
		return
	}
	r.mu.Lock()
	r.m[id] = v
	close(r.wake)
	r.wake = make(chan struct{})
	r.mu.Unlock()
}

func (r *records) wait(ctx context.Context, id string) (string, bool) {
	for {
		r.mu.Lock()
		v, ok := r.m[id]
		wake := r.wake
		r.mu.Unlock()
		if ok {
			return v, true
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return "", false
		}
	}
}

func first(md metadata.MD, k string) string {
	if v := md.Get(k); len(v) > 0 {
		return v[0]
	}
	return ""
}

// echoed is the request metadata whose keys start with x-echo, sent back in headers and trailers.
func echoed(md metadata.MD) metadata.MD {
	out := metadata.MD{}
	for k, v := range md {
		if strings.HasPrefix(k, "x-echo") {
			out[k] = v
		}
	}
	return out
}

// codeOf is how records name what ended a call: the gRPC code as a decimal number.
func codeOf(err error) string {
	if err == io.EOF {
		return "EOF"
	}
	if s, ok := status.FromError(err); ok {
		return strconv.Itoa(int(s.Code()))
	}
	return strconv.Itoa(int(status.FromContextError(err).Code()))
}

type server struct {
	rec      *records
	shutdown func()
}

func (s *server) unary(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	switch first(md, "x-mode") {
	case "", "echo":
		e := echoed(md)
		if err := grpc.SendHeader(ctx, e); err != nil {
			return nil, err
		}
		if err := grpc.SetTrailer(ctx, e); err != nil {
			return nil, err
		}
		return in, nil
	case "status":
		code, _ := strconv.Atoi(first(md, "x-code"))
		st := status.New(codes.Code(code), first(md, "x-message-bin"))
		if d := first(md, "x-details"); d != "" {
			var err error
			if st, err = st.WithDetails(wrapperspb.String(d)); err != nil {
				return nil, err
			}
		}
		grpc.SetTrailer(ctx, metadata.Pairs("x-trail", "t", "x-trail-bin", string([]byte{0, 1, 2, 255})))
		return nil, st.Err()
	case "metadata":
		// The request metadata as grpc-go hands it to handlers, as JSON (binary values base64).
		view := metadata.MD{}
		for k, vs := range md {
			for _, v := range vs {
				if strings.HasSuffix(k, "-bin") {
					v = base64.StdEncoding.EncodeToString([]byte(v))
				}
				view[k] = append(view[k], v)
			}
		}
		out, err := json.Marshal(view)
		if err != nil {
			return nil, err
		}
		return wrapperspb.Bytes(out), nil
	case "deadline":
		d, ok := ctx.Deadline()
		if !ok {
			return wrapperspb.Bytes([]byte("none")), nil
		}
		return wrapperspb.Bytes([]byte(strconv.FormatInt(time.Until(d).Milliseconds(), 10))), nil
	case "wait":
		<-ctx.Done()
		s.rec.put(first(md, "x-id"), codeOf(ctx.Err()))
		return nil, status.FromContextError(ctx.Err()).Err()
	case "report":
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		v, ok := s.rec.wait(wctx, first(md, "x-id"))
		if !ok {
			return nil, status.Errorf(codes.NotFound, "nothing recorded for %q", first(md, "x-id"))
		}
		return wrapperspb.Bytes([]byte(v)), nil
	case "size":
		n, _ := strconv.Atoi(first(md, "x-size"))
		return wrapperspb.Bytes(make([]byte, n)), nil
	case "shutdown":
		go s.shutdown()
		return in, nil
	}
	return nil, status.Errorf(codes.InvalidArgument, "unknown mode %q", first(md, "x-mode"))
}

func (s *server) serverStream(in *wrapperspb.BytesValue, st bytesStream) error {
	md, _ := metadata.FromIncomingContext(st.Context())
	switch first(md, "x-mode") {
	case "hang":
		if err := st.SendMsg(in); err != nil {
			return err
		}
		<-st.Context().Done()
		s.rec.put(first(md, "x-id"), codeOf(st.Context().Err()))
		return st.Context().Err()
	default:
		if err := echoOnStream(st, md); err != nil {
			return err
		}
		n, _ := strconv.Atoi(first(md, "x-count"))
		for i := 0; i < n; i++ {
			if err := st.SendMsg(in); err != nil {
				return err
			}
		}
		return nil
	}
}

// clientStream counts the requests; a Recv error (the client cancelled) is recorded.
func (s *server) clientStream(st bytesStream) error {
	md, _ := metadata.FromIncomingContext(st.Context())
	n := 0
	for {
		in := new(wrapperspb.BytesValue)
		err := st.RecvMsg(in)
		if err == io.EOF {
			return st.SendMsg(wrapperspb.Bytes([]byte(strconv.Itoa(n))))
		}
		if err != nil {
			s.rec.put(first(md, "x-id"), codeOf(err))
			return err
		}
		n++
	}
}

func (s *server) bidi(st bytesStream) error {
	md, _ := metadata.FromIncomingContext(st.Context())
	if err := echoOnStream(st, md); err != nil {
		return err
	}
	for {
		in := new(wrapperspb.BytesValue)
		err := st.RecvMsg(in)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			s.rec.put(first(md, "x-id"), codeOf(err))
			return err
		}
		if err := st.SendMsg(in); err != nil {
			return err
		}
	}
}

func (s *server) register(g *grpc.Server) {
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: serviceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Unary",
			Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				in := new(wrapperspb.BytesValue)
				if err := dec(in); err != nil {
					return nil, err
				}
				return s.unary(ctx, in)
			},
		}},
		Streams: []grpc.StreamDesc{
			{StreamName: "ServerStream", ServerStreams: true, Handler: func(_ any, st grpc.ServerStream) error {
				in := new(wrapperspb.BytesValue)
				if err := st.RecvMsg(in); err != nil {
					return err
				}
				return s.serverStream(in, st)
			}},
			{StreamName: "ClientStream", ClientStreams: true, Handler: func(_ any, st grpc.ServerStream) error { return s.clientStream(st) }},
			{StreamName: "Bidi", ClientStreams: true, ServerStreams: true, Handler: func(_ any, st grpc.ServerStream) error { return s.bidi(st) }},
		},
		Metadata: "rpctest/semantics.proto",
	}, nil)
}
