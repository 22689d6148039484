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

func testRegistrationTokens(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	live := idp.InitialAccessToken{Hash: "live", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	must(t, s.Registrations.CreateToken(ctx, live))
	must(t, s.Registrations.CreateToken(ctx, idp.InitialAccessToken{Hash: "old", CreatedAt: base, ExpiresAt: base.Add(time.Minute)}))
	wantErr(t, s.Registrations.CreateToken(ctx, live), idp.ErrConflict)

	got, err := s.Registrations.Token(ctx, "live", base.Add(time.Minute))
	must(t, err)
	if got.Hash != "live" || !got.CreatedAt.Equal(norm(base)) || !got.ExpiresAt.Equal(norm(base.Add(time.Hour))) {
		t.Errorf("Token = %+v", got)
	}
	_, err = s.Registrations.Token(ctx, "old", base.Add(time.Minute)) // expires_at is exclusive
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Registrations.Token(ctx, "missing", base)
	wantErr(t, err, idp.ErrNotFound)

	wantErr(t, s.Registrations.UseToken(ctx, "old", base.Add(2*time.Minute)), idp.ErrNotFound)
	must(t, s.Registrations.UseToken(ctx, "live", base.Add(time.Minute)))
	wantErr(t, s.Registrations.UseToken(ctx, "live", base.Add(time.Minute)), idp.ErrNotFound)
	_, err = s.Registrations.Token(ctx, "live", base)
	wantErr(t, err, idp.ErrNotFound)

	n, err := s.Registrations.DeleteExpiredTokens(ctx, base.Add(time.Minute))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpiredTokens removed %d, want 1 (old)", n)
	}
	// The expired token is gone even for a clock that went back.
	wantErr(t, s.Registrations.UseToken(ctx, "old", base), idp.ErrNotFound)
}

// testRegistrationTokenUseConcurrent: an initial access token registers
// one client, however many requests race with it.
func testRegistrationTokenUseConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	must(t, s.Registrations.CreateToken(ctx, idp.InitialAccessToken{Hash: "race", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := s.Registrations.UseToken(ctx, "race", base)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, idp.ErrNotFound):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d uses of one token succeeded, want 1", wins.Load())
	}
}

func testClientRegistrations(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	must(t, s.Clients.Create(ctx, &idp.Client{ID: "dyn", TokenEndpointAuthMethod: idp.AuthMethodNone}))
	must(t, s.Clients.Create(ctx, &idp.Client{ID: "operator", TokenEndpointAuthMethod: idp.AuthMethodNone}))

	reg := idp.ClientRegistration{ClientID: "dyn", AccessTokenHash: "h1"}
	must(t, s.Registrations.Create(ctx, &reg))
	if reg.CreatedAt.IsZero() || !reg.UpdatedAt.Equal(reg.CreatedAt) {
		t.Errorf("Create times: %+v", reg)
	}
	wantErr(t, s.Registrations.Create(ctx, &idp.ClientRegistration{ClientID: "dyn", AccessTokenHash: "h"}), idp.ErrConflict)
	wantErr(t, s.Registrations.Create(ctx, &idp.ClientRegistration{ClientID: "missing", AccessTokenHash: "h"}), idp.ErrNotFound)

	got, err := s.Registrations.ByClient(ctx, "dyn")
	must(t, err)
	if got != reg {
		t.Errorf("ByClient = %+v, want %+v", got, reg)
	}
	_, err = s.Registrations.ByClient(ctx, "operator")
	wantErr(t, err, idp.ErrNotFound)

	wantErr(t, s.Registrations.ReplaceAccessToken(ctx, "dyn", "wrong", "h2"), idp.ErrNotFound)
	wantErr(t, s.Registrations.ReplaceAccessToken(ctx, "operator", "", "h2"), idp.ErrNotFound)
	must(t, s.Registrations.ReplaceAccessToken(ctx, "dyn", "h1", "h2"))
	wantErr(t, s.Registrations.ReplaceAccessToken(ctx, "dyn", "h1", "h3"), idp.ErrNotFound)
	got, err = s.Registrations.ByClient(ctx, "dyn")
	must(t, err)
	if got.AccessTokenHash != "h2" {
		t.Errorf("hash after replace = %q, want h2", got.AccessTokenHash)
	}

	must(t, s.Clients.Delete(ctx, "dyn"))
	_, err = s.Registrations.ByClient(ctx, "dyn")
	wantErr(t, err, idp.ErrNotFound)
}
