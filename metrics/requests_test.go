package metrics

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHandlerLinesCarryRequestID: a line a handler logs with the request's
// context carries the same request id as the response header and the
// request line, in JSON as well.
func TestHandlerLinesCarryRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil)))
	m := New(Sources{})
	h := m.Middleware(Requests{Log: log, Route: func(*http.Request) string { return "/things/{id}" }})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.InfoContext(r.Context(), "handler says")
			w.WriteHeader(http.StatusTeapot)
		}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/things/42?token=secret-value", nil))
	id := w.Header().Get("X-Request-Id")
	if id == "" || RequestID(t.Context()) != "" {
		t.Fatalf("X-Request-Id = %q", id)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines, got %q", buf.String())
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, l)
		}
		if rec["request_id"] != id {
			t.Errorf("request_id = %v, want %s: %s", rec["request_id"], id, l)
		}
		if strings.Contains(l, "secret-value") || strings.Contains(l, "/things/42") {
			t.Errorf("log line holds the path or query: %s", l)
		}
	}
	var req map[string]any
	_ = json.Unmarshal([]byte(lines[1]), &req)
	if req["route"] != "/things/{id}" || req["status"] != float64(http.StatusTeapot) || req["method"] != "GET" {
		t.Errorf("request line = %s", lines[1])
	}
}
