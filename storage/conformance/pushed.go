package conformance

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func testPushed(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	live := idp.PushedRequest{Hash: "live", ClientID: "app", Request: `{"form":{}}`, ExpiresAt: base.Add(time.Minute)}
	must(t, s.Pushed.Create(ctx, live))
	must(t, s.Pushed.Create(ctx, idp.PushedRequest{Hash: "old", ClientID: "app", Request: "{}", ExpiresAt: base.Add(time.Second)}))
	wantErr(t, s.Pushed.Create(ctx, live), idp.ErrConflict)
	wantErr(t, s.Pushed.Create(ctx, idp.PushedRequest{Hash: "x", ClientID: "nobody", Request: "{}", ExpiresAt: base}), idp.ErrNotFound)

	got, err := s.Pushed.Get(ctx, "live", base)
	must(t, err)
	if got.Hash != "live" || got.ClientID != "app" || got.Request != live.Request || !got.ExpiresAt.Equal(norm(live.ExpiresAt)) {
		t.Errorf("Get = %+v, want %+v", got, live)
	}
	_, err = s.Pushed.Get(ctx, "old", base.Add(time.Second)) // expires_at is exclusive
	wantErr(t, err, idp.ErrNotFound)
	wantErr(t, s.Pushed.Use(ctx, "old", base.Add(time.Second)), idp.ErrNotFound)

	must(t, s.Pushed.Use(ctx, "live", base))
	wantErr(t, s.Pushed.Use(ctx, "live", base), idp.ErrNotFound)
	_, err = s.Pushed.Get(ctx, "live", base)
	wantErr(t, err, idp.ErrNotFound)

	n, err := s.Pushed.DeleteExpired(ctx, base.Add(time.Second))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpired removed %d, want 1 (old)", n)
	}
	_, err = s.Pushed.Get(ctx, "old", base)
	wantErr(t, err, idp.ErrNotFound)

	// Removing the client removes what it pushed.
	must(t, s.Pushed.Create(ctx, idp.PushedRequest{Hash: "gone", ClientID: "app", Request: "{}", ExpiresAt: base.Add(time.Hour)}))
	must(t, s.Clients.Delete(ctx, "app"))
	_, err = s.Pushed.Get(ctx, "gone", base)
	wantErr(t, err, idp.ErrNotFound)
}

// testPushedUseConcurrent: a request_uri is used once, however many
// authorization requests race with it.
func testPushedUseConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	must(t, s.Pushed.Create(ctx, idp.PushedRequest{Hash: "race", ClientID: "app", Request: "{}", ExpiresAt: base.Add(time.Hour)}))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := s.Pushed.Use(ctx, "race", base)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, idp.ErrNotFound):
				t.Errorf("Use: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d concurrent uses succeeded, want 1", wins.Load())
	}
}
