package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idp/idp"
)

// TestFailShowsTheEntry checks that a page error shows exactly its table
// entry, never the error's detail, and that a store that could not be
// reached turns any entry into 503 with Retry-After.
func TestFailShowsTheEntry(t *testing.T) {
	k, err := New(Config{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	secret := "detail-that-must-not-show"
	for name, tt := range map[string]struct {
		page  ErrorPage
		err   error
		want  ErrorPage
		retry bool
	}{
		"entry":       {FlowExpired, errors.New(secret), FlowExpired, false},
		"no error":    {NotFound, nil, NotFound, false},
		"internal":    {Internal, errors.New(secret), Internal, false},
		"unavailable": {ConsentFormExpired, fmt.Errorf("%s: %w", secret, idp.ErrUnavailable), Unavailable, true},
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			k.Fail(w, httptest.NewRequest(http.MethodGet, "/login", nil), tt.page, tt.err)
			body := w.Body.String()
			if w.Code != tt.want.Status || !strings.Contains(body, tt.want.Title) || strings.Contains(body, secret) {
				t.Errorf("status %d, body %q; want %d with %q and no detail", w.Code, body, tt.want.Status, tt.want.Title)
			}
			if got := w.Header().Get("Retry-After") != ""; got != tt.retry {
				t.Errorf("Retry-After set = %v, want %v", got, tt.retry)
			}
		})
	}
}
