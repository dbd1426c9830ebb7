// Command otlp-collector is a stand-in OpenTelemetry collector for tests: a
// gRPC server of the OTLP TraceService (go.opentelemetry.io/proto/otlp, the
// version chainlink-common v0.11.1 links) that accepts every Export and
// prints each request as one line of protojson on stdout.
//
// It listens on 127.0.0.1 on a free port and prints "ADDR host:port" first.
// With -cert and -key it serves TLS with that pair. It stops, exit status 0,
// when its stdin closes or on SIGTERM/SIGINT.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	collpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/encoding/protojson"
)

type collector struct {
	collpb.UnimplementedTraceServiceServer
	mu  sync.Mutex
	out io.Writer
}

func (c *collector) Export(_ context.Context, req *collpb.ExportTraceServiceRequest) (*collpb.ExportTraceServiceResponse, error) {
	b, err := protojson.Marshal(req)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, "%s\n", b)
	return &collpb.ExportTraceServiceResponse{}, nil
}

func main() {
	certFile := flag.String("cert", "", "serve TLS with this certificate (PEM)")
	keyFile := flag.String("key", "", "the certificate's private key (PEM)")
	flag.Parse()

	var opts []grpc.ServerOption
	if *certFile != "" {
		pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "otlp-collector:", err)
			os.Exit(2)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pair}})))
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "otlp-collector:", err)
		os.Exit(2)
	}
	s := grpc.NewServer(opts...)
	collpb.RegisterTraceServiceServer(s, &collector{out: os.Stdout})
	fmt.Printf("ADDR %s\n", lis.Addr())

	stop := make(chan struct{})
	var once sync.Once
	end := func() { once.Do(func() { close(stop) }) }
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		end()
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		end()
	}()
	go func() {
		<-stop
		s.GracefulStop()
	}()
	if err := s.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, "otlp-collector:", err)
		os.Exit(1)
	}
}
