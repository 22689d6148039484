package keys_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// fixedNow is a clock far from the wall clock, so a time taken from the
// wall clock instead of the one given cannot pass for it.
var fixedNow = time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)

// TestRotateFollowsClock: the new key is created at the time given and
// activates activateAfter later, as stored.
func TestRotateFollowsClock(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		k, err := keys.Rotate(ctx, store, testSecret, keys.RS256, fixedNow, 2*time.Minute)
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		if !k.CreatedAt.Equal(fixedNow) || !k.ActiveAt.Equal(fixedNow.Add(2*time.Minute)) {
			t.Fatalf("created %s, active at %s; want %s and two minutes later", k.CreatedAt, k.ActiveAt, fixedNow)
		}
		rows, err := store.Keys.List(ctx)
		if err != nil || len(rows) != 1 {
			t.Fatalf("stored keys: %v, %v; want one", rows, err)
		}
		if !rows[0].CreatedAt.Equal(k.CreatedAt) || !rows[0].ActiveAt.Equal(k.ActiveAt) || rows[0].ID != k.ID {
			t.Fatalf("stored %+v, want %+v", rows[0], k)
		}
	})
}

// TestRotateRefusesEarlyActivation: a key that would sign before every
// replica reloads and every cached JWKS expires is refused, and nothing
// is written.
func TestRotateRefusesEarlyActivation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		for _, after := range []time.Duration{-time.Minute, 0, keys.ReloadInterval, keys.MinActivateAfter - time.Nanosecond} {
			if _, err := keys.Rotate(ctx, store, testSecret, keys.RS256, fixedNow, after); !errors.Is(err, keys.ErrActivateTooSoon) {
				t.Errorf("Rotate(activateAfter %s) = %v; want ErrActivateTooSoon", after, err)
			}
		}
		if rows, err := store.Keys.List(ctx); err != nil || len(rows) != 0 {
			t.Fatalf("stored keys after refusals: %d, %v; want none", len(rows), err)
		}
		if _, err := keys.Rotate(ctx, store, testSecret, keys.RS256, fixedNow, keys.MinActivateAfter); err != nil {
			t.Fatalf("Rotate(MinActivateAfter): %v", err)
		}
	})
}

// TestRotateProvesTheSecret: a secret that does not open the stored keys
// seals no new one.
func TestRotateProvesTheSecret(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		first, err := keys.Rotate(ctx, store, testSecret, keys.RS256, fixedNow, keys.MinActivateAfter)
		if err != nil {
			t.Fatal(err)
		}
		wrong := []byte(strings.Repeat("w", keys.MinSecretLength))
		_, err = keys.Rotate(ctx, store, wrong, keys.RS256, fixedNow, keys.MinActivateAfter)
		if !errors.Is(err, keys.ErrWrongSecret) || !strings.Contains(err.Error(), first.ID) {
			t.Fatalf("Rotate with another secret = %v; want ErrWrongSecret naming %s", err, first.ID)
		}
		if rows, _ := store.Keys.List(ctx); len(rows) != 1 {
			t.Fatalf("stored keys: %d, want 1", len(rows))
		}
		if err := keys.CheckSecret(ctx, store, testSecret); err != nil {
			t.Fatalf("CheckSecret with the right secret: %v", err)
		}
	})
}

// TestRemove: any key but the one active at the time given can be removed.
func TestRemove(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		cur, err := keys.Rotate(ctx, store, testSecret, keys.RS256, fixedNow.Add(-time.Hour), keys.MinActivateAfter)
		if err != nil {
			t.Fatal(err)
		}
		next, err := keys.Rotate(ctx, store, testSecret, keys.RS256, fixedNow, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := keys.Remove(ctx, store, cur.ID, fixedNow); !errors.Is(err, keys.ErrActiveKey) {
			t.Errorf("Remove(active) = %v; want ErrActiveKey", err)
		}
		if err := keys.Remove(ctx, store, "no-such-kid", fixedNow); !errors.Is(err, idp.ErrNotFound) {
			t.Errorf("Remove(unknown) = %v; want ErrNotFound", err)
		}
		// An hour on, next is the active key and cur may go.
		if err := keys.Remove(ctx, store, next.ID, fixedNow.Add(time.Hour)); !errors.Is(err, keys.ErrActiveKey) {
			t.Errorf("Remove(next, an hour on) = %v; want ErrActiveKey", err)
		}
		if err := keys.Remove(ctx, store, cur.ID, fixedNow.Add(time.Hour)); err != nil {
			t.Fatalf("Remove(superseded): %v", err)
		}
		if rows, _ := store.Keys.List(ctx); len(rows) != 1 || rows[0].ID != next.ID {
			t.Fatalf("stored keys after remove: %v; want only %s", rows, next.ID)
		}
	})
}

func TestStates(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	list := []idp.SigningKey{
		{ID: "new", ActiveAt: now.Add(time.Hour)},
		{ID: "cur", ActiveAt: now},
		{ID: "old", ActiveAt: now.Add(-time.Hour)},
	}
	got := keys.States(list, now)
	want := []keys.KeyState{keys.StateNext, keys.StateActive, keys.StateRetiring}
	if !slices.Equal(got, want) {
		t.Fatalf("States = %v, want %v", got, want)
	}
	if got := keys.States(list[:1], now); !slices.Equal(got, []keys.KeyState{keys.StateActive}) {
		t.Fatalf("a lone future key = %v, want it active (the ring signs with it)", got)
	}
}
