// Command yamuxpeer is hashicorp/yamux (the version go-plugin v1.8.0 pins)
// on one end of a unix socket, for frame-level interop tests of the
// TypeScript yamux. It dials -connect, runs one scenario as the yamux client
// or server with yamux.DefaultConfig() (plus -keepalive), and prints one JSON
// object on stdout.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((i*7 + seed) % 251)
	}
	return b
}

func main() {
	addr := flag.String("connect", "", "unix socket to dial")
	role := flag.String("role", "server", "client | server (yamux role of this side)")
	scenario := flag.String("scenario", "echo", "echo | open | ping | keepalive | goaway-recv | goaway-send")
	n := flag.Int("n", 1, "open: streams to open")
	size := flag.Int("size", 16, "open: bytes written on each stream (and expected back)")
	keepalive := flag.Duration("keepalive", 0, "KeepAliveInterval (0: yamux default of 30 s)")
	hold := flag.Duration("hold", 0, "keepalive: how long to keep the session up")
	flag.Parse()

	out := map[string]any{"ok": false, "error": ""}
	emit := func() {
		b, _ := json.Marshal(out)
		os.Stdout.Write(append(b, '\n'))
	}
	fail := func(err error) {
		out["error"] = err.Error()
		emit()
		os.Exit(1)
	}

	conn, err := net.Dial("unix", *addr)
	if err != nil {
		fail(err)
	}
	logs := &bytes.Buffer{}
	var logMu sync.Mutex
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = nil
	cfg.Logger = log.New(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), "", 0)
	if *keepalive > 0 {
		cfg.KeepAliveInterval = *keepalive
	}
	var sess *yamux.Session
	if *role == "client" {
		sess, err = yamux.Client(conn, cfg)
	} else {
		sess, err = yamux.Server(conn, cfg)
	}
	if err != nil {
		fail(err)
	}

	switch *scenario {
	case "echo":
		// Accept streams and echo each until the peer's FIN, then FIN back;
		// ends when the peer closes the session.
		count := 0
		var total int64
		var wg sync.WaitGroup
		var mu sync.Mutex
		for {
			s, err := sess.AcceptStream()
			if err != nil {
				break
			}
			count++
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, _ := io.Copy(s, s)
				mu.Lock()
				total += m
				mu.Unlock()
				s.Close()
			}()
		}
		wg.Wait()
		out["streams"] = count
		out["bytes"] = total
	case "open":
		// Open n streams at once; on each write size bytes, read them back, Close.
		var wg sync.WaitGroup
		errs := make(chan error, *n)
		ids := make([]uint32, *n)
		for i := 0; i < *n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				s, err := sess.OpenStream()
				if err != nil {
					errs <- err
					return
				}
				ids[i] = s.StreamID()
				want := pattern(*size, i)
				go s.Write(want)
				got := make([]byte, len(want))
				if _, err := io.ReadFull(s, got); err != nil {
					errs <- fmt.Errorf("stream %d: read: %w", s.StreamID(), err)
					return
				}
				if !bytes.Equal(got, want) {
					errs <- fmt.Errorf("stream %d: echoed bytes differ", s.StreamID())
				}
				s.Close()
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			fail(err)
		}
		out["ids"] = ids
		sess.Close()
	case "ping":
		for i := 0; i < 5; i++ {
			if _, err := sess.Ping(); err != nil {
				fail(fmt.Errorf("ping %d: %w", i, err))
			}
		}
		out["pings"] = 5
		// The peer pings us too. A stream tells it our pings are done; it ends the
		// session once it also has its own answer, so neither side cuts the other short.
		s, err := sess.OpenStream()
		if err != nil {
			fail(fmt.Errorf("open after pings: %w", err))
		}
		s.Write([]byte("pinged"))
		s.Close()
		select {
		case <-sess.CloseChan():
		case <-time.After(10 * time.Second):
			fail(errors.New("peer kept the session open 10 s after the pings"))
		}
	case "keepalive":
		// The session must survive several keepalive rounds against the peer.
		select {
		case <-sess.CloseChan():
			fail(errors.New("session closed during hold"))
		case <-time.After(*hold):
		}
		s, err := sess.OpenStream()
		if err != nil {
			fail(fmt.Errorf("open after hold: %w", err))
		}
		s.Write([]byte("alive"))
		got := make([]byte, 5)
		if _, err := io.ReadFull(s, got); err != nil {
			fail(fmt.Errorf("read after hold: %w", err))
		}
		s.Close()
		sess.Close()
	case "goaway-recv":
		// Wait for the peer's GoAway, then try to open a stream.
		time.Sleep(300 * time.Millisecond)
		_, err := sess.OpenStream()
		out["open_error"] = fmt.Sprint(err)
		sess.Close()
	case "goaway-send":
		if err := sess.GoAway(); err != nil {
			fail(err)
		}
		<-sess.CloseChan()
	default:
		fail(fmt.Errorf("unknown scenario %q", *scenario))
	}
	logMu.Lock()
	out["logs"] = logs.String()
	logMu.Unlock()
	out["ok"] = true
	emit()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
