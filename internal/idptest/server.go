package idptest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Listen opens a server on 127.0.0.1:0 without starting it and returns it
// with the URL it will serve, so that URL (the issuer, an app's public
// URL) is known before the handler is built. The listener is closed when
// the test ends, even if it fails before Start.
func Listen(t testing.TB) (srv *httptest.Server, url string) {
	t.Helper()
	srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	return srv, "http://" + srv.Listener.Addr().String()
}

// Start serves h on srv and closes srv when the test ends. Cleanups run
// last first, so a closer registered before Start (the provider's) runs
// after the server has stopped.
func Start(t testing.TB, srv *httptest.Server, h http.Handler) {
	t.Helper()
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
}

// Serve serves h on a fresh loopback port until the test ends.
func Serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv, _ := Listen(t)
	Start(t, srv, h)
	return srv
}

// FreeAddr returns a loopback address nothing listens on, for a server the
// test starts later or never (a refused connection).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
