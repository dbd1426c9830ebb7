package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	grpctest "github.com/hashicorp/go-plugin/test/grpc"

	"goplugints/interop/internal/shared"
)

const rpcTimeout = 10 * time.Second

func rpcCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), rpcTimeout)
}

const (
	stdioOut = "hello\nworld!"
	stdioErr = "and some error\n messages!"
)

func runBasic(h *harness) *object {
	out := base()
	out.set("double", nil)
	out.set("ping", nil)
	out.set("pingpong", nil)
	out.set("stdout", "")
	out.set("stderr", "")
	out.set("stream", []int32{})
	errs := &errorList{}

	syncOut, syncErr := &lockedBuffer{}, &lockedBuffer{}
	client := h.newClient(syncOut, syncErr)
	rpc, c, err := h.connect(client)
	started(client, out)
	if err != nil {
		errs.add("start", err)
	} else {
		ctx, cancel := rpcCtx()
		defer cancel()

		if resp, err := c.Test.Double(ctx, &grpctest.TestRequest{Input: 21}); err != nil {
			errs.add("Double", err)
		} else {
			out.set("double", resp.GetOutput())
			if resp.GetOutput() != 42 {
				errs.addf(fmt.Sprintf("Double(21) = %d, want 42", resp.GetOutput()))
			}
		}

		if err := rpc.Ping(); err != nil {
			out.set("ping", err.Error())
			errs.add("Ping", err)
		}

		if resp, err := c.PingPong.Ping(ctx, &grpctest.PingRequest{}); err != nil {
			errs.add("PingPong.Ping", err)
		} else {
			out.set("pingpong", resp.GetMsg())
		}

		_, err = c.Test.PrintKV(ctx, &grpctest.PrintKVRequest{
			Key:   "hello",
			Value: &grpctest.PrintKVRequest_ValueString{ValueString: "world"},
		})
		errs.add("PrintKV", err)

		_, err = c.Test.PrintStdio(ctx, &grpctest.PrintStdioRequest{
			Stdout: []byte(stdioOut),
			Stderr: []byte(stdioErr),
		})
		errs.add("PrintStdio", err)
		if err == nil {
			deadline := time.Now().Add(2 * time.Second)
			for time.Now().Before(deadline) &&
				!(strings.Contains(syncOut.String(), stdioOut) && strings.Contains(syncErr.String(), stdioErr)) {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(syncOut.String(), stdioOut) {
				errs.addf(fmt.Sprintf("SyncStdout = %q, want %q", syncOut.String(), stdioOut))
			}
			if !strings.Contains(syncErr.String(), stdioErr) {
				errs.addf(fmt.Sprintf("SyncStderr = %q, want %q", syncErr.String(), stdioErr))
			}
		}
		out.set("stdout", syncOut.String())
		out.set("stderr", syncErr.String())

		got, err := streamEcho(ctx, c, []int32{21, 22, 23, 24, 25, 26})
		out.set("stream", got)
		errs.add("Stream", err)
		if err == nil && fmt.Sprint(got) != "[21 22 23 24 25 26]" {
			errs.addf(fmt.Sprintf("Stream echoed %v", got))
		}
	}

	h.kill(client, out)
	h.finish(out, errs, true)
	return out
}

func streamEcho(ctx context.Context, c *shared.Clients, inputs []int32) ([]int32, error) {
	got := []int32{}
	stream, err := c.Test.Stream(ctx)
	if err != nil {
		return got, err
	}
	sendErr := make(chan error, 1)
	go func() {
		for _, in := range inputs {
			if err := stream.Send(&grpctest.TestRequest{Input: in}); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- stream.CloseSend()
	}()
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return got, err
		}
		got = append(got, resp.GetOutput())
	}
	return got, <-sendErr
}

func runStart(h *harness) *object {
	out := base()
	errs := &errorList{}
	client := h.newClient(nil, nil)
	_, err := client.Start()
	started(client, out)
	if err != nil {
		// Reported verbatim so callers can match go-plugin's messages.
		errs.addf(err.Error())
	}
	h.kill(client, out)
	h.finish(out, errs, true)
	return out
}

// bidiRoundTrip does one host->plugin->host broker round trip.
func bidiRoundTrip(c *shared.Clients) (hostID, pluginID uint32, pong string, err error) {
	ctx, cancel := rpcCtx()
	defer cancel()

	hostID = c.Broker.NextId()
	go c.Broker.AcceptAndServe(hostID, shared.NewPongGRPCServer)

	resp, err := c.Test.Bidirectional(ctx, &grpctest.BidirectionalRequest{Id: hostID})
	if err != nil {
		return hostID, 0, "", fmt.Errorf("Bidirectional(%d): %w", hostID, err)
	}
	pluginID = resp.GetId()

	conn, err := c.Broker.Dial(pluginID)
	if err != nil {
		return hostID, pluginID, "", fmt.Errorf("broker.Dial(%d): %w", pluginID, err)
	}
	defer conn.Close()
	pr, err := grpctest.NewPingPongClient(conn).Ping(ctx, &grpctest.PingRequest{})
	if err != nil {
		return hostID, pluginID, "", fmt.Errorf("Ping on plugin id %d: %w", pluginID, err)
	}
	if pr.GetMsg() != "pong" {
		return hostID, pluginID, pr.GetMsg(), fmt.Errorf("plugin id %d answered %q", pluginID, pr.GetMsg())
	}
	return hostID, pluginID, pr.GetMsg(), nil
}

func runBidirectional(h *harness) *object {
	out := base()
	out.set("pong", nil)
	out.set("ids", []uint32{})
	out.set("plugin_ids", []uint32{})
	errs := &errorList{}

	n := h.opt.n
	if n == 0 {
		n = 100
	}
	par := h.opt.concurrency
	if par <= 1 {
		par = 10
	}

	client := h.newClient(nil, nil)
	_, c, err := h.connect(client)
	started(client, out)
	if err != nil {
		errs.add("start", err)
	} else {
		hostIDs := []uint32{}
		pluginIDs := []uint32{}

		hid, pid, pong, err := bidiRoundTrip(c)
		hostIDs = append(hostIDs, hid)
		if err != nil {
			errs.add("round trip", err)
		} else {
			pluginIDs = append(pluginIDs, pid)
			out.set("pong", pong)
		}

		// Nested variant: n more round trips, par in flight.
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, par)
		failures := 0
		for i := 0; i < n; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				hid, pid, _, err := bidiRoundTrip(c)
				mu.Lock()
				defer mu.Unlock()
				hostIDs = append(hostIDs, hid)
				if err != nil {
					failures++
					if failures <= 3 {
						errs.add("nested round trip", err)
					}
					return
				}
				pluginIDs = append(pluginIDs, pid)
			}()
		}
		wg.Wait()
		if failures > 3 {
			errs.addf(fmt.Sprintf("%d nested round trips failed in total", failures))
		}
		if d := firstDuplicate(hostIDs); d != 0 {
			errs.addf(fmt.Sprintf("host id %d used twice", d))
		}
		if d := firstDuplicate(pluginIDs); d != 0 {
			errs.addf(fmt.Sprintf("plugin returned id %d twice", d))
		}
		out.set("ids", hostIDs)
		out.set("plugin_ids", pluginIDs)
		out.set("round_trips_ok", len(pluginIDs))
	}

	h.kill(client, out)
	h.finish(out, errs, true)
	return out
}

func firstDuplicate(ids []uint32) uint32 {
	seen := map[uint32]bool{}
	for _, id := range ids {
		if seen[id] {
			return id
		}
		seen[id] = true
	}
	return 0
}

func runPanic(h *harness) *object {
	out := base()
	out.set("panic_error", nil)
	errs := &errorList{}

	client := h.newClient(nil, nil)
	_, c, err := h.connect(client)
	started(client, out)
	if err != nil {
		errs.add("start", err)
	} else {
		ctx, cancel := rpcCtx()
		_, perr := c.Test.Panic(ctx, &grpctest.PanicRequest{Message: "boom"})
		cancel()
		if perr == nil {
			errs.addf("Panic(\"boom\") returned no error")
		} else {
			out.set("panic_error", perr.Error())
		}
		// Give a crashing plugin time to exit so its last stderr lines are
		// read before Kill.
		deadline := time.Now().Add(5 * time.Second)
		for !client.Exited() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		out.set("exited_after_panic", client.Exited())
	}

	h.kill(client, out)
	logs := h.logs.entries(0)
	logged := false
	for _, e := range logs {
		if e.get("level") == "error" && strings.Contains(str(e.get("msg")), "boom") {
			logged = true
			break
		}
	}
	out.set("panic_logged", logged)
	h.finish(out, errs, true)
	return out
}

// runReattach attaches to the plugin given by -reattach, calls it, reports
// the client's view (negotiated version, ReattachConfig), then Kill()s it and
// checks whether the plugin still answers (a test-mode plugin must: Kill is
// a no-op for it) and whether the client counts as exited.
func runReattach(h *harness) *object {
	out := base()
	errs := &errorList{}
	client := h.newClient(nil, nil)
	rpc, c, err := h.connect(client)
	started(client, out)
	if err != nil {
		errs.add("reattach", err)
	} else {
		ctx, cancel := rpcCtx()
		resp, err := c.Test.Double(ctx, &grpctest.TestRequest{Input: 21})
		cancel()
		if err != nil {
			errs.add("Double", err)
		} else {
			out.set("double", resp.GetOutput())
		}
		if err := rpc.Ping(); err != nil {
			errs.add("ping", err)
		}
		if rc := client.ReattachConfig(); rc != nil {
			if b, err := shared.EncodeReattach(rc); err == nil {
				out.set("reattach_config", json.RawMessage(b))
			}
		}
		start := time.Now()
		client.Kill()
		out.set("kill_ms", ms(time.Since(start)))
		// A fresh client: the killed one has closed its connection.
		after := h.newClient(nil, nil)
		arpc, _, err := h.connect(after)
		// Not arpc.Close(): go-plugin's GRPCClient.Close sends Shutdown, which would end the plugin.
		out.set("ping_after_kill", err == nil && arpc.Ping() == nil)
		// Let the exit poller (1 s) see a plugin that did exit.
		time.Sleep(1500 * time.Millisecond)
		out.set("exited", client.Exited())
	}
	h.finish(out, errs, true)
	return out
}
