// Command h2probe speaks HTTP/2 frame by frame (golang.org/x/net/http2's
// Framer and hpack) to a gRPC server on a unix socket, with requests no
// grpc-go client would send: frames out of order, broken flow control,
// oversized frames, split and padded header blocks, floods. For each scenario
// it prints one JSON line of what the server did, frame by frame, so the
// caller can hold the server to RFC 9113 and to what grpc-go's server does.
//
//	h2probe -sock /path/to/server.sock [-only name]
//
// The server must serve rpctest.Semantics/Unary echoing its request. With
// -serve, h2probe is the server instead, for a client (serve.go).
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

const (
	unaryPath = "/rpctest.Semantics/Unary"
	bidiPath  = "/rpctest.Semantics/Bidi"
)

type result struct {
	Scenario string   `json:"scenario"`
	Events   []string `json:"events"`
	Err      string   `json:"err,omitempty"`
}

type conn struct {
	// What the server may still send: the connection's window, each stream's
	// initial one, and credit per stream (a DATA frame beyond one is recorded).
	connWindow, initialWindow int
	streamWindow              map[uint32]int
	c                         net.Conn
	fr                        *http2.Framer
	enc                       *hpack.Encoder
	encBuf                    bytes.Buffer
	events                    []string
}

func dial(sock string) (*conn, error) {
	c, err := net.Dial("unix", sock)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	k := &conn{c: c, fr: http2.NewFramer(c, c), connWindow: 65535, initialWindow: 65535, streamWindow: map[uint32]int{}}
	k.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	k.fr.MaxHeaderListSize = 16 << 20
	k.enc = hpack.NewEncoder(&k.encBuf)
	return k, nil
}

// open writes the preface and SETTINGS, and reads up to the server's SETTINGS (acking it).
func (k *conn) open(settings ...http2.Setting) error {
	if _, err := io.WriteString(k.c, http2.ClientPreface); err != nil {
		return err
	}
	for _, st := range settings {
		if st.ID == http2.SettingInitialWindowSize {
			k.initialWindow = int(st.Val)
		}
	}
	if err := k.fr.WriteSettings(settings...); err != nil {
		return err
	}
	for {
		f, err := k.fr.ReadFrame()
		if err != nil {
			return fmt.Errorf("before the server's SETTINGS: %w", err)
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			return k.fr.WriteSettingsAck()
		}
	}
}

// block encodes a request header block; extra fields come after the usual gRPC ones.
func (k *conn) block(path string, extra ...string) []byte {
	k.encBuf.Reset()
	fields := []string{":method", "POST", ":scheme", "http", ":path", path, ":authority", "localhost",
		"content-type", "application/grpc", "te", "trailers"}
	fields = append(fields, extra...)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = k.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return append([]byte(nil), k.encBuf.Bytes()...)
}

// grpcFrame is one length-prefixed message holding a BytesValue of n bytes of 'x'.
func grpcFrame(n int) []byte {
	var msg []byte
	if n > 0 {
		msg = append([]byte{0x0a}, binary.AppendUvarint(nil, uint64(n))...)
		msg = append(msg, bytes.Repeat([]byte{'x'}, n)...)
	}
	out := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

// data writes p as DATA frames of at most 16384 bytes, the last one ending the stream if asked.
func (k *conn) data(stream uint32, end bool, p []byte) {
	for len(p) > 16384 {
		_ = k.fr.WriteData(stream, false, p[:16384])
		p = p[16384:]
	}
	_ = k.fr.WriteData(stream, end, p)
}

// watch reads frames and records them until the server ends stream `until`
// (0: never), sends GOAWAY, or closes; window updates are answered when
// `credit` so a flow-controlled answer can finish.
func (k *conn) watch(until uint32, credit bool) {
	dataBytes := map[uint32]int{}
	for {
		f, err := k.fr.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "connection reset") {
				k.events = append(k.events, "eof")
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				k.events = append(k.events, "timeout")
			} else {
				k.events = append(k.events, "read-error:"+err.Error())
			}
			return
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			var parts []string
			for _, hf := range f.Fields {
				if hf.Name == ":status" || hf.Name == "grpc-status" || hf.Name == "content-type" {
					parts = append(parts, hf.Name+"="+hf.Value)
				}
			}
			k.events = append(k.events, fmt.Sprintf("headers:%d:%s:end=%v", f.StreamID, strings.Join(parts, ","), f.StreamEnded()))
			if f.StreamEnded() && f.StreamID == until {
				if n := dataBytes[until]; n > 0 {
					k.events = append(k.events, fmt.Sprintf("data-total:%d:%d", until, n))
				}
				return
			}
		case *http2.DataFrame:
			n := int(f.Length)
			dataBytes[f.StreamID] += len(f.Data())
			if _, ok := k.streamWindow[f.StreamID]; !ok {
				k.streamWindow[f.StreamID] = k.initialWindow
			}
			k.connWindow -= n
			k.streamWindow[f.StreamID] -= n
			if k.connWindow < 0 || k.streamWindow[f.StreamID] < 0 {
				k.events = append(k.events, fmt.Sprintf("window-exceeded:%d", f.StreamID))
			}
			if credit && n > 0 {
				_ = k.fr.WriteWindowUpdate(0, uint32(n))
				_ = k.fr.WriteWindowUpdate(f.StreamID, uint32(n))
				k.connWindow += n
				k.streamWindow[f.StreamID] += n
			}
			if f.StreamEnded() {
				k.events = append(k.events, fmt.Sprintf("data-end:%d", f.StreamID))
			}
		case *http2.RSTStreamFrame:
			k.events = append(k.events, fmt.Sprintf("rst:%d:%v", f.StreamID, f.ErrCode))
			if f.StreamID == until {
				return
			}
		case *http2.GoAwayFrame:
			k.events = append(k.events, fmt.Sprintf("goaway:%d:%v", f.LastStreamID, f.ErrCode))
		case *http2.PingFrame:
			if f.IsAck() {
				k.events = append(k.events, "ping-ack:"+string(f.Data[:]))
			}
		case *http2.WindowUpdateFrame, *http2.SettingsFrame:
		default:
			k.events = append(k.events, fmt.Sprintf("frame:%T", f))
		}
	}
}

type scenario struct {
	name string
	// setup makes the connection the scenario starts from.
	setup func(sock string) (*conn, error)
	run   func(k *conn)
}

// opened dials and completes the preface exchange with default settings.
func opened(sock string) (*conn, error) { return openedWith(sock) }

// smallWindow is opened with a 1000-byte SETTINGS_INITIAL_WINDOW_SIZE.
func smallWindow(sock string) (*conn, error) {
	return openedWith(sock, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
}

func openedWith(sock string, settings ...http2.Setting) (*conn, error) {
	k, err := dial(sock)
	if err != nil {
		return nil, err
	}
	return k, k.open(settings...)
}

// dialOnly connects without the client preface.
func dialOnly(sock string) (*conn, error) { return dial(sock) }

var scenarios = []scenario{
	{"echo", opened, func(k *conn) {
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: k.block(unaryPath), EndHeaders: true})
		_ = k.fr.WriteData(1, true, grpcFrame(10))
		k.watch(1, false)
	}},
	{"not-http2", dialOnly, func(k *conn) {
		_, _ = io.WriteString(k.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		k.watch(0, false)
	}},
	{"first-frame-not-settings", dialOnly, func(k *conn) {
		_, _ = io.WriteString(k.c, http2.ClientPreface)
		_ = k.fr.WritePing(false, [8]byte{'e', 'a', 'r', 'l', 'y', 'p', 'n', 'g'})
		k.watch(0, false)
	}},
	{"ping", opened, func(k *conn) {
		_ = k.fr.WritePing(false, [8]byte{'p', 'r', 'o', 'b', 'e', '-', '4', '2'})
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: k.block(unaryPath), EndHeaders: true})
		_ = k.fr.WriteData(1, true, grpcFrame(1))
		k.watch(1, false)
	}},
	{"oversized-frame", opened, func(k *conn) {
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: k.block(unaryPath), EndHeaders: true})
		// A DATA frame longer than the server's SETTINGS_MAX_FRAME_SIZE (16384 unless it said more).
		_ = k.fr.WriteRawFrame(http2.FrameData, 0, 1, make([]byte, 20000))
		k.watch(0, false)
	}},
	{"split-padded-headers", opened, func(k *conn) {
		b := k.block(unaryPath, "x-long", strings.Repeat("v", 40000))
		// HEADERS (padded, with priority fields) then CONTINUATIONs of 7 bytes and the rest.
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:5], PadLength: 9,
			Priority: http2.PriorityParam{StreamDep: 0, Weight: 16}})
		_ = k.fr.WriteContinuation(1, false, b[5:12])
		rest := b[12:]
		for len(rest) > 16000 {
			_ = k.fr.WriteContinuation(1, false, rest[:16000])
			rest = rest[16000:]
		}
		_ = k.fr.WriteContinuation(1, true, rest)
		_ = k.fr.WriteDataPadded(1, true, grpcFrame(3), make([]byte, 200))
		k.watch(1, false)
	}},
	{"header-list-too-large-then-good", opened, func(k *conn) {
		// One field over the 16 MiB header list limit (Huffman-coded to 14 MiB of block).
		b := k.block(unaryPath, "x-big", strings.Repeat("v", 16<<20))
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:16000]})
		rest := b[16000:]
		for len(rest) > 16000 {
			_ = k.fr.WriteContinuation(1, false, rest[:16000])
			rest = rest[16000:]
		}
		_ = k.fr.WriteContinuation(1, true, rest)
		k.watch(1, false)
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: k.block(unaryPath), EndHeaders: true})
		_ = k.fr.WriteData(3, true, grpcFrame(6))
		k.watch(3, false)
	}},
	{"interleaved-continuation", opened, func(k *conn) {
		b := k.block(unaryPath)
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:3]})
		_ = k.fr.WritePing(false, [8]byte{})
		k.watch(0, false)
	}},
	{"bad-hpack-index", opened, func(k *conn) {
		// An indexed field with index 0 is invalid (RFC 7541 §6.1).
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0x80}, EndHeaders: true, EndStream: true})
		k.watch(0, false)
	}},
	{"even-stream", opened, func(k *conn) {
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 2, BlockFragment: k.block(unaryPath), EndHeaders: true, EndStream: true})
		k.watch(0, false)
	}},
	{"malformed-request-then-good", opened, func(k *conn) {
		// A connection-specific field makes the request malformed: a stream error only.
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: k.block(unaryPath, "connection", "close"), EndHeaders: true, EndStream: true})
		k.watch(1, false)
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: k.block(unaryPath), EndHeaders: true})
		_ = k.fr.WriteData(3, true, grpcFrame(2))
		k.watch(3, false)
	}},
	{"stream-window-overrun", opened, func(k *conn) {
		// A bidi echo whose answers are never read nor credited: the handler stops
		// reading, so the stream's 4 MiB window (the server's
		// SETTINGS_INITIAL_WINDOW_SIZE) runs out; 4 MiB + 16 KiB are sent.
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: k.block(bidiPath), EndHeaders: true})
		chunk := grpcFrame(16376)
		for i := 0; i < 257; i++ {
			if err := k.fr.WriteData(1, false, chunk); err != nil {
				break
			}
		}
		k.watch(1, false)
	}},
	{"connection-window-overflow", opened, func(k *conn) {
		_ = k.fr.WriteWindowUpdate(0, 1<<31-1)
		k.watch(0, false)
	}},
	{"small-client-window", smallWindow, func(k *conn) {
		// A 100 000-byte answer into a 1000-byte stream window, credited as it arrives.
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: k.block(unaryPath), EndHeaders: true})
		k.data(1, true, grpcFrame(100000))
		k.watch(1, true)
	}},
	{"goaway-from-client", opened, func(k *conn) {
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: k.block(unaryPath), EndHeaders: true})
		_ = k.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		_ = k.fr.WriteData(1, true, grpcFrame(4))
		k.watch(0, false)
	}},
	{"rst-then-new-stream", opened, func(k *conn) {
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: k.block(unaryPath), EndHeaders: true})
		_ = k.fr.WriteRSTStream(1, http2.ErrCodeCancel)
		// Late DATA on the reset stream is dropped; the connection goes on.
		_ = k.fr.WriteData(1, true, grpcFrame(1))
		_ = k.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: k.block(unaryPath), EndHeaders: true})
		_ = k.fr.WriteData(3, true, grpcFrame(5))
		k.watch(3, false)
	}},
}

func main() {
	sock := flag.String("sock", "", "unix socket of the server")
	only := flag.String("only", "", "run one scenario")
	serveSock := flag.String("serve", "", "be a server on this unix socket instead (see serve.go)")
	serveScenario := flag.String("scenario", "echo", "with -serve: how to answer")
	flag.Parse()
	if *serveSock != "" {
		if err := serve(*serveSock, *serveScenario); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	enc := json.NewEncoder(os.Stdout)
	for _, s := range scenarios {
		if *only != "" && s.name != *only {
			continue
		}
		k, err := s.setup(*sock)
		if err == nil {
			s.run(k)
		}
		r := result{Scenario: s.name}
		if k != nil {
			r.Events = k.events
			_ = k.c.Close()
		}
		if err != nil {
			r.Err = err.Error()
		}
		_ = enc.Encode(r)
	}
}
