package keys_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

const (
	interval  = 90 * 24 * time.Hour
	lifetime  = time.Hour             // the longest token lifetime
	retention = lifetime + time.Hour  // plus the margin, as the provider sets it
	step      = keys.MinActivateAfter // how long a next key waits
	tick      = keys.ScheduleCheckInterval
)

// loadFirst stores the first key, active at fixedNow, as a starting
// provider does, and returns it.
func loadFirst(t *testing.T, store *storage.Store) idp.SigningKey {
	t.Helper()
	_, err := keys.Load(context.Background(), keys.Config{Store: store, Secret: testSecret,
		Now: func() time.Time { return fixedNow }, Log: slog.New(slog.DiscardHandler), Retention: retention})
	if err != nil {
		t.Fatal(err)
	}
	list, err := store.Keys.List(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("keys after Load: %v, %v", list, err)
	}
	return list[0]
}

func schedule(store *storage.Store, rec keys.Recorder, holder string) keys.Schedule {
	return keys.Schedule{Store: store, Secret: testSecret, Interval: interval, Retention: retention, Holder: holder, Audit: rec}
}

func run(t *testing.T, s keys.Schedule, at time.Time) keys.ScheduleResult {
	t.Helper()
	res, err := s.Run(context.Background(), at)
	if err != nil {
		t.Fatalf("Run at %v: %v", at, err)
	}
	return res
}

func auditTypes(t *testing.T, store *storage.Store) []idp.AuditType {
	t.Helper()
	events, _, err := store.Audit.List(context.Background(), storage.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []idp.AuditType
	for _, e := range events {
		out = append(out, e.Type)
	}
	return out
}

// TestScheduleRotatesAndRetires follows one key's life under the
// schedule: rotated out after the interval, its successor published
// MinActivateAfter before it signs, the old key removed only once
// retention has passed since it last signed; each change audited.
func TestScheduleRotatesAndRetires(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		first := loadFirst(t, store)
		log := audit.New(store, slog.New(slog.DiscardHandler), func() time.Time { return fixedNow })
		s := schedule(store, log, "")

		if res := run(t, s, fixedNow.Add(interval-time.Second)); len(res.Rotated) > 0 || len(res.Removed) > 0 {
			t.Fatalf("Run before the interval did %+v, want nothing", res)
		}
		now := fixedNow.Add(interval)
		res := run(t, s, now)
		if len(res.Rotated) != 1 || !res.Rotated[0].CreatedAt.Equal(now) || !res.Rotated[0].ActiveAt.Equal(now.Add(step)) {
			t.Fatalf("Run at the interval = %+v; want a key created now, signing %s later", res, step)
		}
		next := res.Rotated[0]
		if res := run(t, s, now.Add(time.Second)); len(res.Rotated) > 0 {
			t.Fatalf("Run while the next key waits rotated again: %+v", res)
		}
		list, err := store.Keys.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys.States(list, now); !slices.Equal(got, []keys.KeyState{keys.StateNext, keys.StateActive}) {
			t.Fatalf("states after rotation = %v, want next, active", got)
		}

		// The first key signed until next.ActiveAt: it stays until
		// retention after that.
		if res := run(t, s, next.ActiveAt.Add(retention-time.Microsecond)); len(res.Removed) > 0 || len(res.Rotated) > 0 {
			t.Fatalf("Run just before retention ended did %+v, want nothing", res)
		}
		res = run(t, s, next.ActiveAt.Add(retention))
		if !slices.Equal(res.Removed, []string{first.ID}) {
			t.Fatalf("Run once retention ended removed %v, want [%s]", res.Removed, first.ID)
		}
		list, _ = store.Keys.List(ctx)
		if len(list) != 1 || list[0].ID != next.ID {
			t.Fatalf("keys left: %v, want only %s", list, next.ID)
		}
		if got, want := auditTypes(t, store), []idp.AuditType{idp.AuditKeyRemoved, idp.AuditKeyRotated}; !slices.Equal(got, want) {
			t.Fatalf("audit trail = %v, want %v", got, want)
		}
	})
}

// TestScheduleReplicasRace: replicas running the schedule at the same
// instant add one key between them, and a replica that finds the lease
// held by another does nothing.
func TestScheduleReplicasRace(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		loadFirst(t, store)
		now := fixedNow.Add(interval)

		held, err := store.Locks.Acquire(ctx, "keys.schedule", "elsewhere", now, now.Add(time.Minute))
		if err != nil || !held {
			t.Fatalf("Acquire: %v, %v", held, err)
		}
		if res := run(t, schedule(store, nil, "me"), now); !res.Busy || len(res.Rotated) > 0 {
			t.Fatalf("Run while another replica holds the lease = %+v; want busy, nothing done", res)
		}
		if err := store.Locks.Release(ctx, "keys.schedule", "elsewhere"); err != nil {
			t.Fatal(err)
		}

		const replicas = 4
		var mu sync.Mutex
		var rotated []string
		var wg sync.WaitGroup
		for i := range replicas {
			wg.Go(func() {
				res, err := schedule(store, nil, fmt.Sprintf("replica-%d", i)).Run(ctx, now)
				if err != nil {
					t.Error(err)
				}
				if len(res.Rotated) > 0 {
					mu.Lock()
					rotated = append(rotated, res.Rotated[0].ID)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		list, err := store.Keys.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rotated) != 1 || len(list) != 2 {
			t.Fatalf("%d replicas rotated (%v), %d keys stored; want one rotation, two keys", len(rotated), rotated, len(list))
		}
	})
}

// TestScheduleKeepsKeysThatVerify is the verifier's side: a token signed
// with the old key at the last instant it signed, living the longest
// lifetime, must verify (the ring finds its key) until it expires, with
// the schedule running all along.
func TestScheduleKeepsKeysThatVerify(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		first := loadFirst(t, store)
		c := &clock{t: fixedNow}
		ring, err := keys.Load(ctx, keys.Config{Store: store, Secret: testSecret, Now: c.now,
			Log: slog.New(slog.DiscardHandler), Retention: retention})
		if err != nil {
			t.Fatal(err)
		}
		s := schedule(store, nil, "")
		c.add(interval)
		res := run(t, s, c.now())
		if len(res.Rotated) != 1 {
			t.Fatal("no rotation at the interval")
		}
		// The last token the first key signs, just before the next key
		// takes over, expires lifetime later.
		c.add(res.Rotated[0].ActiveAt.Sub(c.now()) - time.Microsecond)
		if err := ring.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if ring.Active().ID != first.ID {
			t.Fatalf("signing with %s, want still %s", ring.Active().ID, first.ID)
		}
		expires := c.now().Add(lifetime)
		for c.now().Before(expires) {
			c.add(tick)
			run(t, s, c.now())
			if err := ring.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			if !c.now().After(expires) {
				if _, ok := ring.ByID(first.ID); !ok {
					t.Fatalf("at %v, before the token expires at %v, its key %s no longer verifies", c.now(), expires, first.ID)
				}
			}
		}
	})
}

// TestScheduleProvesTheSecret: a replica with another secret adds no key
// it could not open, and says why.
func TestScheduleProvesTheSecret(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		loadFirst(t, store)
		s := schedule(store, nil, "")
		s.Secret = []byte(strings.Repeat("w", keys.MinSecretLength))
		if _, err := s.Run(context.Background(), fixedNow.Add(interval)); !errors.Is(err, keys.ErrWrongSecret) {
			t.Fatalf("Run with another secret = %v; want ErrWrongSecret", err)
		}
		if list, _ := store.Keys.List(context.Background()); len(list) != 1 {
			t.Fatalf("%d keys stored, want the first only", len(list))
		}
	})
}

func TestScheduleValidate(t *testing.T) {
	ok := keys.Schedule{Interval: keys.MinRotationInterval, Retention: time.Hour}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", ok, err)
	}
	bad := keys.Schedule{Interval: time.Minute, ActivateAfter: time.Second}
	err := bad.Validate()
	for _, want := range []string{"rotation interval", "activation delay", "retention"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%+v) = %v; want it to name the %s", bad, err, want)
		}
	}
}

// TestSupersededAndExpired: a key is superseded when the next newer one
// starts signing, and expires retention after that; next and active keys
// never expire, however old.
func TestSupersededAndExpired(t *testing.T) {
	now := fixedNow
	list := []idp.SigningKey{
		{ID: "next", ActiveAt: now.Add(time.Minute)},
		{ID: "active", ActiveAt: now.Add(-time.Hour)},
		{ID: "retiring", ActiveAt: now.Add(-48 * time.Hour)},
		{ID: "old", ActiveAt: now.Add(-96 * time.Hour)},
	}
	want := []time.Time{{}, {}, now.Add(-time.Hour), now.Add(-48 * time.Hour)}
	if got := keys.Superseded(list, now); !slices.Equal(got, want) {
		t.Fatalf("Superseded = %v, want %v", got, want)
	}
	states := []keys.KeyState{keys.StateNext, keys.StateActive, keys.StateRetiring, keys.StateRetiring}
	if got := keys.States(list, now); !slices.Equal(got, states) {
		t.Fatalf("States = %v, want %v", got, states)
	}
	names := func(ks []idp.SigningKey) (out []string) {
		for _, k := range ks {
			out = append(out, k.ID)
		}
		return out
	}
	for _, c := range []struct {
		retention time.Duration
		want      []string
	}{
		{time.Hour, []string{"retiring", "old"}},
		{time.Hour + time.Microsecond, []string{"old"}},
		{48 * time.Hour, []string{"old"}},
		{1000 * time.Hour, nil},
	} {
		if got := names(keys.Expired(list, now, c.retention)); !slices.Equal(got, c.want) {
			t.Errorf("Expired(retention %s) = %v, want %v", c.retention, got, c.want)
		}
	}
	lone := []idp.SigningKey{{ID: "future", ActiveAt: now.Add(time.Hour)}, {ID: "older future", ActiveAt: now.Add(time.Minute)}}
	if got := keys.Expired(lone, now.Add(time.Minute), 0); len(got) != 0 {
		t.Fatalf("Expired with only future keys = %v, want none", names(got))
	}
}
