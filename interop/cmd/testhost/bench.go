package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-plugin"

	"goplugints/interop/internal/shared"
)

func makePayload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*31 + 7)
	}
	return p
}

// echoOnce does one Echo call and checks the reply.
func echoOnce(e *shared.EchoClient, payload []byte, check bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := e.Echo(ctx, payload)
	if err != nil {
		return err
	}
	if len(got) != len(payload) || (check && !bytes.Equal(got, payload)) {
		return fmt.Errorf("echo returned %d bytes, want %d (or content differs)", len(got), len(payload))
	}
	return nil
}

// startToFirstEcho spawns a client and measures spawn -> first Echo OK.
func (h *harness) startToFirstEcho(payload []byte) (*plugin.Client, *shared.Clients, time.Duration, error) {
	t0 := time.Now()
	client := h.newClient(nil, nil)
	_, c, err := h.connect(client)
	if err != nil {
		return client, nil, 0, err
	}
	if err := echoOnce(c.Echo, payload, true); err != nil {
		return client, c, 0, fmt.Errorf("first Echo: %w", err)
	}
	return client, c, time.Since(t0), nil
}

// concurrentRate runs n Echo calls with par goroutines and returns calls/s.
func concurrentRate(e *shared.EchoClient, payload []byte, n, par int) (float64, error) {
	var next int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < par; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&next, 1) <= int64(n) {
				if err := echoOnce(e, payload, false); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(n) / elapsed.Seconds(), nil
}

func runBench(h *harness) *object {
	out := base()
	n := h.opt.n
	if n == 0 {
		n = 1000
	}
	out.set("payload", h.opt.payload)
	out.set("n", n)
	for _, k := range []string{"start_ms", "p50_us", "p99_us", "mean_us", "calls_per_s_c1", "calls_per_s_c64", "mb_per_s", "broker_dial_us"} {
		out.set(k, nil)
	}
	errs := &errorList{}
	payload := makePayload(h.opt.payload)

	client, c, startDur, err := h.startToFirstEcho(payload)
	started(client, out)
	if err != nil {
		errs.add("start", err)
		h.kill(client, out)
		h.finish(out, errs, false)
		return out
	}
	out.set("start_ms", ms(startDur))

	if err := benchCalls(h, c, payload, n, out); err != nil {
		errs.add("bench", err)
	}
	if err := benchBrokerDial(c, out); err != nil {
		errs.add("broker dial", err)
	}

	h.kill(client, out)
	h.finish(out, errs, false)
	return out
}

func benchCalls(h *harness, c *shared.Clients, payload []byte, n int, out *object) error {
	for i := 0; i < h.opt.warmup; i++ {
		if err := echoOnce(c.Echo, payload, i == 0); err != nil {
			return fmt.Errorf("warmup: %w", err)
		}
	}

	lat := make([]time.Duration, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		t := time.Now()
		if err := echoOnce(c.Echo, payload, false); err != nil {
			return fmt.Errorf("sequential call %d: %w", i, err)
		}
		lat[i] = time.Since(t)
	}
	total := time.Since(start)
	sorted := sortDurations(lat)
	rate := float64(n) / total.Seconds()
	out.set("p50_us", us(percentile(sorted, 50)))
	out.set("p99_us", us(percentile(sorted, 99)))
	out.set("mean_us", us(total/time.Duration(n)))
	out.set("calls_per_s_c1", round1(rate))
	out.set("mb_per_s", math.Round(float64(len(payload))*rate/1e6*1000)/1000)

	r64, err := concurrentRate(c.Echo, payload, n, 64)
	if err != nil {
		return fmt.Errorf("64 in flight: %w", err)
	}
	out.set("calls_per_s_c64", round1(r64))

	if cc := h.opt.concurrency; cc > 1 && cc != 64 {
		rc, err := concurrentRate(c.Echo, payload, n, cc)
		if err != nil {
			return fmt.Errorf("%d in flight: %w", cc, err)
		}
		out.set("concurrency", cc)
		out.set("calls_per_s_cn", round1(rc))
	}
	return nil
}

// benchBrokerDial: median over 20 trials of broker.Dial(id) -> first Echo OK
// on the brokered connection (the Brokered RPC itself is not timed).
func benchBrokerDial(c *shared.Clients, out *object) error {
	const trials = 20
	small := makePayload(16)
	var samples []time.Duration
	for i := 0; i < trials; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
		id, err := c.Echo.Brokered(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("Brokered: %w", err)
		}
		t0 := time.Now()
		conn, err := c.Broker.Dial(id)
		if err != nil {
			return fmt.Errorf("Dial(%d): %w", id, err)
		}
		err = echoOnce(shared.NewEchoClient(conn), small, true)
		d := time.Since(t0)
		_ = conn.Close()
		if err != nil {
			return fmt.Errorf("Echo on broker id %d: %w", id, err)
		}
		samples = append(samples, d)
	}
	out.set("broker_dial_us", us(percentile(sortDurations(samples), 50)))
	return nil
}

func runBenchStart(h *harness) *object {
	out := base()
	n := h.opt.n
	if n == 0 {
		n = 10
	}
	out.set("n", n)
	out.set("automtls", h.opt.autoMTLS)
	out.set("start_ms", nil)
	errs := &errorList{}
	payload := makePayload(h.opt.payload)

	var samples []time.Duration
	gracefulAll := true
	for i := 0; i < n; i++ {
		client, _, d, err := h.startToFirstEcho(payload)
		if i == 0 {
			started(client, out)
		}
		k := newObject()
		h.kill(client, k)
		if g, _ := k.get("killed_gracefully").(bool); !g {
			gracefulAll = false
		}
		if err != nil {
			errs.add(fmt.Sprintf("spawn %d", i), err)
			break
		}
		samples = append(samples, d)
	}
	sorted := sortDurations(samples)
	msList := make([]float64, len(samples))
	for i, d := range samples {
		msList[i] = ms(d)
	}
	if len(sorted) > 0 {
		out.set("start_ms", ms(percentile(sorted, 50)))
		out.set("start_ms_min", ms(sorted[0]))
		out.set("start_ms_max", ms(sorted[len(sorted)-1]))
	}
	out.set("samples_ms", msList)
	out.set("killed_gracefully", gracefulAll)
	h.finish(out, errs, false)
	return out
}
