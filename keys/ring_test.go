package keys_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// clock is a settable clock for a Ring.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func ids(ks []keys.Key) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.ID)
	}
	return out
}

// TestRingFollowsRotation: a rotated key is published at once, signs from
// its activation time, and the key it replaced stays published for the
// retention and then verifies nothing.
func TestRingFollowsRotation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		c := &clock{t: fixedNow}
		ring, err := keys.Load(ctx, keys.Config{Store: store, Secret: testSecret, Now: c.now,
			Log: slog.New(slog.DiscardHandler), Retention: time.Hour})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		first := ring.Active()
		next, err := keys.Rotate(ctx, store, testSecret, keys.RS256, c.now(), 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := ring.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if got := ids(ring.Published()); !slices.Equal(got, []string{next.ID, first.ID}) {
			t.Fatalf("published %v, want the new key and the first", got)
		}
		if ring.Active().ID != first.ID {
			t.Fatal("the new key signs before its activation time")
		}
		c.add(2 * time.Minute)
		if ring.Active().ID != next.ID {
			t.Fatal("the new key does not sign at its activation time")
		}
		if _, ok := ring.ByID(first.ID); !ok {
			t.Fatal("the superseded key no longer verifies within the retention")
		}
		c.add(time.Hour)
		if _, ok := ring.ByID(first.ID); ok || len(ring.JWKS().Keys) != 1 {
			t.Fatal("the superseded key is still published after the retention")
		}
	})
}

// TestRingSkipsUnreadableKeys: a key that does not open is skipped, with
// a log naming it, unless it is the one that should sign now.
func TestRingSkipsUnreadableKeys(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		unreadable := func(id string, at time.Time) idp.SigningKey {
			return idp.SigningKey{ID: id, Algorithm: "RS256", Sealed: bytes.Repeat([]byte{7}, 64), CreatedAt: at, ActiveAt: at}
		}
		if _, err := keys.Rotate(ctx, store, testSecret, keys.RS256, fixedNow.Add(-time.Hour), keys.MinActivateAfter); err != nil {
			t.Fatal(err)
		}
		if err := store.Keys.Insert(ctx, unreadable("bad-next", fixedNow.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		cfg := keys.Config{Store: store, Secret: testSecret, Now: func() time.Time { return fixedNow },
			Log: slog.New(slog.NewTextHandler(&logs, nil)), Retention: time.Hour}
		ring, err := keys.Load(ctx, cfg)
		if err != nil {
			t.Fatalf("Load with an unreadable pending key: %v", err)
		}
		if !strings.Contains(logs.String(), "kid=bad-next") || slices.Contains(ids(ring.Published()), "bad-next") {
			t.Fatalf("unreadable key not skipped with a log naming it; published %v, log:\n%s", ids(ring.Published()), logs.String())
		}
		if err := store.Keys.Insert(ctx, unreadable("bad-active", fixedNow)); err != nil {
			t.Fatal(err)
		}
		if _, err := keys.Load(ctx, cfg); err == nil || !strings.Contains(err.Error(), "bad-active") {
			t.Fatalf("Load with an unreadable active key = %v; want an error naming it", err)
		}
	})
}
