package metrics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// RouteUnmatched is the route label of requests no route matched (404,
// 405): the raw path would let any client create series at will.
const RouteUnmatched = "unmatched"

// Requests configures the request middleware.
type Requests struct {
	// Log receives one line per request.
	Log *slog.Logger
	// Route returns the route template of a request (for gorilla/mux,
	// mux.CurrentRoute(r).GetPathTemplate()), or "" when none matched.
	Route func(*http.Request) string
	// Quiet routes are logged at debug level: probes and scrapes arrive
	// every few seconds and would drown the lines that matter.
	Quiet map[string]bool
}

// Middleware returns the per-request middleware: it gives the request a
// fresh id (returned as X-Request-Id and carried in the context, see
// RequestID), counts and times it by route template, and logs one line
// with the id, route, method, status and duration.
//
// The line holds neither the path, nor the query string (where codes,
// tokens and state travel), nor any header value. The id is always
// generated here, never taken from the request: a client-chosen id would
// be a header value in the log, and would let a caller make its requests
// look like someone else's; a proxy that keeps its own id can log ours
// from the response header beside it.
func (m *Metrics) Middleware(o Requests) func(http.Handler) http.Handler {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := newRequestID()
			w.Header().Set("X-Request-Id", id)
			sw := &statusWriter{ResponseWriter: w}
			ctx := r.Context()
			next.ServeHTTP(sw, r.WithContext(context.WithValue(ctx, requestIDKey{}, id)))
			elapsed := time.Since(start)

			route := o.Route(r)
			if route == "" {
				route = RouteUnmatched
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			code := strconv.Itoa(status)
			m.requests.WithLabelValues(route, method(r.Method), code).Inc()
			m.duration.WithLabelValues(route).Observe(elapsed.Seconds())

			level := slog.LevelInfo
			if o.Quiet[route] {
				level = slog.LevelDebug
			}
			if log.Enabled(ctx, level) {
				log.LogAttrs(ctx, level, "request", slog.String("request_id", id), slog.String("route", route),
					slog.String("method", method(r.Method)), slog.Int("status", status), slog.Duration("duration", elapsed))
			}
		})
	}
}

// method bounds the method label to the methods HTTP defines; anything
// else a client invents is "other".
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// statusWriter records the status code the handler sent.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's own writer
// (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes flushes through, for handlers that assert http.Flusher.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type requestIDKey struct{}

// RequestID returns the id the middleware gave the request of ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// newRequestID returns 16 random hex digits: unique enough to find one
// request among billions of log lines, short enough to read out.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// LogHandler wraps h so that every record logged with a request's context
// (log.InfoContext(r.Context(), ...)) carries that request's id as
// "request_id".
func LogHandler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
