package provider_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// unreadableKey is a signing key row that no secret opens.
func unreadableKey(id string, activeAt time.Time) idp.SigningKey {
	return idp.SigningKey{ID: id, Algorithm: "RS256", Sealed: bytes.Repeat([]byte{7}, 64),
		CreatedAt: activeAt.Add(-time.Minute), ActiveAt: activeAt}
}

// TestSecurityServeSurvivesUnreadableKey checks the rule "serve survives an
// unreadable key that is not the active one (skips it, logging an error
// naming the key id)"; an unreadable active key still stops the start,
// naming it, since the provider cannot sign without it.
func TestSecurityServeSurvivesUnreadableKey(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, k := range []idp.SigningKey{unreadableKey("bad-next", now.Add(time.Hour)), unreadableKey("bad-old", now.Add(-48*time.Hour))} {
			if err := e.store.Keys.Insert(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		var logs lockedBuffer
		cfg := e.cfg
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		p, err := provider.New(ctx, cfg)
		if err != nil {
			t.Fatalf("provider.New with unreadable inactive keys: %v", err)
		}
		defer p.Close()
		for _, kid := range []string{"bad-next", "bad-old"} {
			if !strings.Contains(logs.String(), "kid="+kid) {
				t.Errorf("log does not name the skipped key %s:\n%s", kid, logs.String())
			}
		}
		for _, k := range fetchJWKS(t, e.issuer) {
			if k["kid"] == "bad-next" || k["kid"] == "bad-old" {
				t.Errorf("JWKS publishes the unreadable key %v", k["kid"])
			}
		}

		if err := e.store.Keys.Insert(ctx, unreadableKey("bad-active", now)); err != nil {
			t.Fatal(err)
		}
		_, err = provider.New(ctx, cfg)
		if err == nil || !strings.Contains(err.Error(), "bad-active") {
			t.Fatalf("provider.New with an unreadable active key: %v; want an error naming it", err)
		}
	})
}
