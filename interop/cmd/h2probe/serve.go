package main

// Server mode: h2probe acts as a raw HTTP/2 server on a unix socket and
// answers a client's calls the way the named scenario says (split and padded
// header blocks, resets, GOAWAY mid-call, a tiny window), printing what the
// client did as lines "<connection> <event>" as they happen. It first prints
// "listening", and serves until killed.
//
//	h2probe -serve /path/to/sock -scenario name

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

var printMu sync.Mutex

type sconn struct {
	c        net.Conn
	fr       *http2.Framer
	enc      *hpack.Encoder
	encBuf   bytes.Buffer
	scenario string
	n        int
	// Our receive windows as we granted them: the connection's and each stream's.
	recvConn   int
	recvStream map[uint32]int
	initial    int
	bodies     map[uint32][]byte
	// Requests whose end arrived, in order.
	ended []uint32
}

func (s *sconn) emit(format string, a ...any) {
	printMu.Lock()
	defer printMu.Unlock()
	fmt.Printf("%d %s\n", s.n, fmt.Sprintf(format, a...))
}

func (s *sconn) block(fields ...string) []byte {
	s.encBuf.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		_ = s.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return append([]byte(nil), s.encBuf.Bytes()...)
}

func (s *sconn) headers(id uint32, end bool, fields ...string) {
	_ = s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: s.block(fields...), EndHeaders: true, EndStream: end})
}

var okHeaders = []string{":status", "200", "content-type", "application/grpc"}

// echo answers with the request's bytes (its gRPC frames) and status OK.
func (s *sconn) echo(id uint32) {
	s.headers(id, false, okHeaders...)
	for b := s.bodies[id]; len(b) > 0; {
		n := min(len(b), 16384)
		_ = s.fr.WriteData(id, false, b[:n])
		b = b[n:]
	}
	s.headers(id, true, "grpc-status", "0")
}

func serve(sock, name string) error {
	l, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	fmt.Println("listening")
	for n := 1; ; n++ {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go serveConn(c, name, n)
	}
}

func serveConn(c net.Conn, name string, n int) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	s := &sconn{c: c, fr: http2.NewFramer(c, c), scenario: name, n: n, recvConn: 65535, recvStream: map[uint32]int{}, initial: 65535, bodies: map[uint32][]byte{}}
	s.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	s.fr.MaxHeaderListSize = 16 << 20
	s.enc = hpack.NewEncoder(&s.encBuf)
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil || string(preface) != http2.ClientPreface {
		s.emit("bad-preface")
		return
	}
	if name == "tiny-window" {
		// Binding once the client acknowledges it; until then it may use the default window (RFC 9113 §6.9.2).
		_ = s.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
	} else {
		_ = s.fr.WriteSettings()
	}
	first := true
	for {
		f, err := s.fr.ReadFrame()
		if err != nil {
			if err == io.EOF || strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "closed") {
				s.emit("eof")
			} else {
				s.emit("read-error:%v", err)
			}
			return
		}
		if first {
			// RFC 9113 §3.4: the preface's SETTINGS comes first.
			if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
				s.emit("first-frame-not-settings")
			}
			first = false
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if f.IsAck() {
				if name == "tiny-window" {
					for id := range s.recvStream {
						s.recvStream[id] += 1000 - s.initial
					}
					s.initial = 1000
				}
				continue
			}
			push, _ := f.Value(http2.SettingEnablePush)
			win, _ := f.Value(http2.SettingInitialWindowSize)
			s.emit("settings:push=%d,window=%d", push, win)
			_ = s.fr.WriteSettingsAck()
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				s.emit("conn-window:+%d", f.Increment)
			}
		case *http2.MetaHeadersFrame:
			s.recvStream[f.StreamID] = s.initial
			s.emit("request:%d:%s:%s:%s", f.StreamID, f.PseudoValue("method"), f.PseudoValue("scheme"), f.PseudoValue("path"))
			if f.StreamEnded() {
				s.requestEnded(f.StreamID)
			}
		case *http2.DataFrame:
			n := int(f.Length)
			s.recvConn -= n
			s.recvStream[f.StreamID] -= n
			if s.recvConn < 0 || s.recvStream[f.StreamID] < 0 {
				s.emit("window-exceeded:%d", f.StreamID)
			}
			s.bodies[f.StreamID] = append(s.bodies[f.StreamID], f.Data()...)
			if n > 0 {
				// Credit what was read at once: the client's sending is what is under test.
				_ = s.fr.WriteWindowUpdate(0, uint32(n))
				_ = s.fr.WriteWindowUpdate(f.StreamID, uint32(n))
				s.recvConn += n
				s.recvStream[f.StreamID] += n
			}
			if f.StreamEnded() {
				s.emit("request-end:%d:%d", f.StreamID, len(s.bodies[f.StreamID]))
				s.requestEnded(f.StreamID)
			}
		case *http2.RSTStreamFrame:
			s.emit("rst:%d:%v", f.StreamID, f.ErrCode)
		case *http2.GoAwayFrame:
			s.emit("goaway:%d:%v", f.LastStreamID, f.ErrCode)
		case *http2.PingFrame:
			if !f.IsAck() {
				_ = s.fr.WritePing(true, f.Data)
			}
		}
	}
}

// requestEnded answers a request as the scenario says.
func (s *sconn) requestEnded(id uint32) {
	s.ended = append(s.ended, id)
	switch s.scenario {
	case "split-padded":
		// Response headers: padded HEADERS with priority fields, then CONTINUATIONs; a
		// padded DATA frame; trailers split over HEADERS and one CONTINUATION.
		b := s.block(append(append([]string{}, okHeaders...), "x-long", strings.Repeat("v", 40000))...)
		_ = s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: b[:5], PadLength: 9,
			Priority: http2.PriorityParam{StreamDep: 0, Weight: 16}})
		rest := b[5:]
		for len(rest) > 16000 {
			_ = s.fr.WriteContinuation(id, false, rest[:16000])
			rest = rest[16000:]
		}
		_ = s.fr.WriteContinuation(id, true, rest)
		_ = s.fr.WriteDataPadded(id, false, s.bodies[id], make([]byte, 100))
		t := s.block("grpc-status", "0", "x-trailer", "t")
		_ = s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: t[:2], EndStream: true})
		_ = s.fr.WriteContinuation(id, true, t[2:])
	case "trailers-only":
		s.headers(id, true, append(append([]string{}, okHeaders...), "grpc-status", "5", "grpc-message", "not%20here")...)
	case "rst-before-response":
		_ = s.fr.WriteRSTStream(id, http2.ErrCodeInternal)
	case "rst-after-response":
		s.headers(id, false, okHeaders...)
		_ = s.fr.WriteRSTStream(id, http2.ErrCodeInternal)
	case "goaway-refuse":
		// On the first connection: once two requests have ended, GOAWAY naming the
		// first (the second was never processed), then the first is answered.
		if s.n > 1 {
			s.echo(id)
			return
		}
		if len(s.ended) == 2 {
			_ = s.fr.WriteGoAway(s.ended[0], http2.ErrCodeNo, nil)
			s.echo(s.ended[0])
		}
	case "goaway-error":
		s.headers(id, false, okHeaders...)
		_ = s.fr.WriteGoAway(id, http2.ErrCodeEnhanceYourCalm, []byte("too_many_pings"))
	default: // "echo", "tiny-window"
		s.echo(id)
	}
}
