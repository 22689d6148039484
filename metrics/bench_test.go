package metrics

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMiddleware is the middleware's own cost per request (id,
// counter, histogram, a log line the level filters out), to hold against
// a token request's (BenchmarkClientCredentials in package provider).
func BenchmarkMiddleware(b *testing.B) {
	b.Run("discard", func(b *testing.B) { benchMiddleware(b, nil) })
	b.Run("textlog", func(b *testing.B) {
		benchMiddleware(b, slog.New(slog.NewTextHandler(io.Discard, nil)))
	})
}

func benchMiddleware(b *testing.B, log *slog.Logger) {
	m := New(Sources{})
	h := m.Middleware(Requests{Log: log, Route: func(*http.Request) string { return "/oauth2/token" }})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodPost, "/oauth2/token", nil)
		w := httptest.NewRecorder()
		for pb.Next() {
			h.ServeHTTP(w, req)
		}
	})
}
