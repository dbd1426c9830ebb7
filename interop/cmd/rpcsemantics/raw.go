package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/http2"
)

// rawTimeoutCall sends a Unary "wait" call by hand over HTTP/2 with a
// grpc-timeout header and no timer of its own, so only the server's deadline
// can end it; it returns the grpc-status the server answered with.
func rawTimeoutCall(sock, timeout, id string) (string, error) {
	tr := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, _, _ string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}
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
