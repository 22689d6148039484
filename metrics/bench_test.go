package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMiddleware is the middleware's own cost per request (id,
// counter, histogram, a log line the level filters out), to hold against
// a token request's (BenchmarkClientCredentials in package provider).
func BenchmarkMiddleware(b *testing.B) {
	m := New(Sources{})
	h := m.Middleware(Requests{Route: func(*http.Request) string { return "/oauth2/token" }})(
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
