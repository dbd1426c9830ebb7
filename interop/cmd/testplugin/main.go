// Command testplugin is a go-plugin gRPC plugin used by the interop harness.
// It serves grpctest.Test, grpctest.PingPong and bench.Echo as the "test"
// plugin. Flags make it misbehave before or after serving.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	grpctest "github.com/hashicorp/go-plugin/test/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"goplugints/interop/internal/shared"
)

// testServer is the plugin-side grpctest.Test implementation.
type testServer struct {
	grpctest.UnimplementedTestServer
	broker *plugin.GRPCBroker
	logger hclog.Logger
}

func (t *testServer) Double(_ context.Context, req *grpctest.TestRequest) (*grpctest.TestResponse, error) {
	return &grpctest.TestResponse{Output: req.GetInput() * 2}, nil
}

func (t *testServer) PrintKV(_ context.Context, req *grpctest.PrintKVRequest) (*grpctest.PrintKVResponse, error) {
	var v interface{}
	switch x := req.GetValue().(type) {
	case *grpctest.PrintKVRequest_ValueString:
		v = x.ValueString
	case *grpctest.PrintKVRequest_ValueInt:
		v = x.ValueInt
	default:
		return nil, status.Error(codes.InvalidArgument, "PrintKV: no value set")
	}
	t.logger.Info("PrintKV called", req.GetKey(), v)
	return &grpctest.PrintKVResponse{}, nil
}

func (t *testServer) Bidirectional(ctx context.Context, req *grpctest.BidirectionalRequest) (*grpctest.BidirectionalResponse, error) {
	conn, err := t.broker.Dial(req.GetId())
	if err != nil {
		return nil, fmt.Errorf("dial host broker id %d: %w", req.GetId(), err)
	}
	defer conn.Close()

	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := grpctest.NewPingPongClient(conn).Ping(callCtx, &grpctest.PingRequest{})
	if err != nil {
		return nil, fmt.Errorf("ping host broker id %d: %w", req.GetId(), err)
	}
	if resp.GetMsg() != "pong" {
		return nil, fmt.Errorf("host answered %q, want %q", resp.GetMsg(), "pong")
	}

	next := t.broker.NextId()
	go t.broker.AcceptAndServe(next, shared.NewPongGRPCServer)
	return &grpctest.BidirectionalResponse{Id: next}, nil
}

func (t *testServer) Stream(stream grpctest.Test_StreamServer) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&grpctest.TestResponse{Output: req.GetInput()}); err != nil {
			return err
		}
	}
}

func (t *testServer) PrintStdio(_ context.Context, req *grpctest.PrintStdioRequest) (*emptypb.Empty, error) {
	// os.Stdout / os.Stderr were swapped by plugin.Serve for the pipes that
	// feed the GRPCStdio stream, so read the variables at call time.
	if _, err := os.Stdout.Write(req.GetStdout()); err != nil {
		return nil, err
	}
	if _, err := os.Stderr.Write(req.GetStderr()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (t *testServer) Panic(_ context.Context, req *grpctest.PanicRequest) (*emptypb.Empty, error) {
	panic(req.GetMessage())
}

func main() {
	versionsFlag := flag.String("versions", "1", "comma separated protocol versions to offer (VersionedPlugins)")
	printBefore := flag.String("print-before", "", "write this line to stdout before serving")
	exitBefore := flag.Int("exit-before", -1, "write two lines to stderr and exit with this code before serving (-1: off)")
	hang := flag.Bool("hang", false, "sleep forever instead of serving")
	ignoreShutdown := flag.Bool("ignore-shutdown", false, "after serving ends, ignore SIGTERM/SIGINT and sleep forever")
	logLevels := flag.Bool("log-levels", false, "log one hclog JSON line per level right before serving")
	bigLine := flag.Bool("bigline", false, "write a 100000 character line to stderr before serving")
	testMode := flag.Bool("test-mode", false, "serve with ServeTestConfig: print the reattach config as JSON on stdout, serve until SIGINT/SIGTERM")
	flag.Parse()

	versions, err := shared.ParseVersions(*versionsFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testplugin:", err)
		os.Exit(2)
	}

	// JSON to the real stderr (this *os.File is kept even after plugin.Serve
	// swaps the os.Stderr variable). No name, so no @module.
	logger := hclog.New(&hclog.LoggerOptions{
		Level:      hclog.Trace,
		Output:     os.Stderr,
		JSONFormat: true,
	})

	if *printBefore != "" {
		fmt.Fprintln(os.Stdout, *printBefore)
	}
	if *exitBefore >= 0 {
		fmt.Fprint(os.Stderr, "fatal: exiting before handshake\nsecond line\n")
		os.Exit(*exitBefore)
	}
	if *hang {
		sleepForever()
	}
	if *bigLine {
		fmt.Fprintln(os.Stderr, strings.Repeat("x", 100000))
	}
	if *logLevels {
		logger.Trace("level trace", "n", 1)
		logger.Debug("level debug", "n", 1)
		logger.Info("level info", "n", 1)
		logger.Warn("level warn", "n", 1)
		logger.Error("level error", "n", 1)
	}

	p := &shared.TestPlugin{
		NewTestServer: func(b *plugin.GRPCBroker) grpctest.TestServer {
			return &testServer{broker: b, logger: logger}
		},
	}

	if *testMode {
		serveTestMode(shared.VersionedPlugins(versions, p), logger)
		return
	}

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  shared.Handshake,
		VersionedPlugins: shared.VersionedPlugins(versions, p),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           logger,
	})

	if *ignoreShutdown {
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
		sleepForever()
	}
}

// serveTestMode serves like a plugin started under a debugger: no cookie, no
// handshake line; the reattach config goes to stdout as one JSON line, and
// serving ends on SIGINT/SIGTERM (the test context is cancelled).
func serveTestMode(plugins map[int]plugin.PluginSet, logger hclog.Logger) {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	reattachCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	go plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  shared.Handshake,
		VersionedPlugins: plugins,
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           logger,
		Test:             &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattachCh, CloseCh: closeCh},
	})
	select {
	case rc := <-reattachCh:
		b, err := shared.EncodeReattach(rc)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testplugin:", err)
			os.Exit(1)
		}
		os.Stdout.Write(append(b, '\n'))
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "testplugin: no reattach config within 10 s")
		os.Exit(1)
	}
	<-closeCh
}

// sleepForever blocks without tripping the runtime's deadlock detector.
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}
