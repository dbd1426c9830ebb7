package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/http2"
)

// unixH2Transport speaks cleartext HTTP/2 to a unix socket, for calls written by hand.
func unixH2Transport(sock string) *http2.Transport {
	return &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, _, _ string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}
}

// rawTimeoutCall sends a Unary "wait" call by hand over HTTP/2 with a
// grpc-timeout header and no timer of its own, so only the server's deadline
// can end it; it returns the grpc-status the server answered with.
func rawTimeoutCall(sock, timeout, id string) (string, error) {
	tr := unixH2Transport(sock)
	defer tr.CloseIdleConnections()
	body := []byte{0, 0, 0, 0, 0} // one empty BytesValue
	req, err := http.NewRequest("POST", "http://localhost"+pathUnary, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("content-type", "application/grpc")
	req.Header.Set("te", "trailers")
	req.Header.Set("grpc-timeout", timeout)
	req.Header.Set("x-mode", "wait")
	req.Header.Set("x-id", id)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := tr.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	if s := res.Trailer.Get("grpc-status"); s != "" {
		return s, nil
	}
	if s := res.Header.Get("grpc-status"); s != "" {
		return s, nil
	}
	return "", fmt.Errorf("no grpc-status (HTTP %d)", res.StatusCode)
}

// rawMetadataCall sends an echo Unary call by hand with header key: value as
// written (base64 padded or not, or malformed); it returns the grpc-status,
// the decoded grpc-message and the response headers.
func rawMetadataCall(sock, key, value string) (string, string, http.Header, error) {
	tr := unixH2Transport(sock)
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest("POST", "http://localhost"+pathUnary, bytes.NewReader([]byte{0, 0, 0, 0, 0}))
	if err != nil {
		return "", "", nil, err
	}
	req.Header.Set("content-type", "application/grpc")
	req.Header.Set("te", "trailers")
	req.Header.Set(key, value)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := tr.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return "", "", nil, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	for _, h := range []http.Header{res.Trailer, res.Header} {
		if s := h.Get("grpc-status"); s != "" {
			msg, _ := url.PathUnescape(h.Get("grpc-message"))
			return s, msg, res.Header, nil
		}
	}
	return "", "", nil, fmt.Errorf("no grpc-status (HTTP %d)", res.StatusCode)
}
