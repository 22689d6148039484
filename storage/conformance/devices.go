package conformance

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func newDeviceGrant(client, suffix string) idp.DeviceGrant {
	return idp.DeviceGrant{
		DeviceCodeHash: "dev-" + suffix, UserCodeHash: "user-" + suffix, ClientID: client,
		Scopes: []string{"openid", "offline_access"}, Audience: []string{"api"}, Status: idp.DevicePending,
		Interval: 5 * time.Second, LastPolled: base, CreatedAt: base, ExpiresAt: base.Add(10 * time.Minute),
	}
}

func testDeviceGrants(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "tv")
	g := newDeviceGrant("tv", "1")
	must(t, s.DeviceGrants.Create(ctx, &g))
	if g.ID == "" || g.CreatedAt != norm(base) {
		t.Fatalf("Create did not fill the ID or normalise times: %+v", g)
	}
	for name, get := range map[string]func() (idp.DeviceGrant, error){
		"ByID":             func() (idp.DeviceGrant, error) { return s.DeviceGrants.ByID(ctx, g.ID) },
		"ByDeviceCodeHash": func() (idp.DeviceGrant, error) { return s.DeviceGrants.ByDeviceCodeHash(ctx, "dev-1") },
		"ByUserCodeHash":   func() (idp.DeviceGrant, error) { return s.DeviceGrants.ByUserCodeHash(ctx, "user-1") },
	} {
		got, err := get()
		must(t, err)
		if !reflect.DeepEqual(got, g) {
			t.Errorf("%s =\n%+v\nwant\n%+v", name, got, g)
		}
	}
	_, err := s.DeviceGrants.ByUserCodeHash(ctx, "user-missing")
	wantErr(t, err, idp.ErrNotFound)
	dup := newDeviceGrant("tv", "2")
	dup.UserCodeHash = "user-1"
	wantErr(t, s.DeviceGrants.Create(ctx, &dup), idp.ErrConflict)
	orphan := newDeviceGrant("missing", "3")
	wantErr(t, s.DeviceGrants.Create(ctx, &orphan), idp.ErrNotFound)

	// A poll is recorded only against the last poll as read.
	must(t, s.DeviceGrants.Polled(ctx, g.ID, g.LastPolled, base.Add(time.Second), 10*time.Second))
	wantErr(t, s.DeviceGrants.Polled(ctx, g.ID, g.LastPolled, base.Add(2*time.Second), 5*time.Second), idp.ErrNotFound)
	got, err := s.DeviceGrants.ByID(ctx, g.ID)
	must(t, err)
	if got.LastPolled != norm(base.Add(time.Second)) || got.Interval != 10*time.Second {
		t.Errorf("after Polled: last %v interval %v", got.LastPolled, got.Interval)
	}

	// Not redeemable before approval; answered once; redeemed once, by its
	// client only.
	wantErr(t, s.DeviceGrants.Redeem(ctx, "dev-1", "tv"), idp.ErrNotFound)
	ans := g
	ans.Status, ans.MemberID, ans.SessionID, ans.AuthTime, ans.AnsweredAt = idp.DeviceApproved, "m1", "s1", base, base.Add(time.Minute)
	must(t, s.DeviceGrants.Answer(ctx, ans))
	ans.Status = idp.DeviceDenied
	wantErr(t, s.DeviceGrants.Answer(ctx, ans), idp.ErrNotFound)
	wantErr(t, s.DeviceGrants.Redeem(ctx, "dev-1", "other"), idp.ErrNotFound)
	must(t, s.DeviceGrants.Redeem(ctx, "dev-1", "tv"))
	wantErr(t, s.DeviceGrants.Redeem(ctx, "dev-1", "tv"), idp.ErrNotFound)
	got, err = s.DeviceGrants.ByID(ctx, g.ID)
	must(t, err)
	if got.Status != idp.DeviceUsed || got.MemberID != "m1" || got.AnsweredAt != norm(base.Add(time.Minute)) {
		t.Errorf("after Redeem: %+v", got)
	}

	// An expired grant cannot be answered, and is deleted.
	late := newDeviceGrant("tv", "4")
	must(t, s.DeviceGrants.Create(ctx, &late))
	late.Status, late.AnsweredAt = idp.DeviceApproved, late.ExpiresAt
	wantErr(t, s.DeviceGrants.Answer(ctx, late), idp.ErrNotFound)
	n, err := s.DeviceGrants.DeleteExpired(ctx, base.Add(10*time.Minute))
	must(t, err)
	if n != 2 {
		t.Errorf("DeleteExpired removed %d, want 2", n)
	}
}

// testDeviceGrantRedeemConcurrent: of concurrent redemptions of one
// approved grant, exactly one succeeds.
func testDeviceGrantRedeemConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "tv")
	g := newDeviceGrant("tv", "c")
	must(t, s.DeviceGrants.Create(ctx, &g))
	g.Status, g.AnsweredAt = idp.DeviceApproved, base
	must(t, s.DeviceGrants.Answer(ctx, g))
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.DeviceGrants.Redeem(ctx, "dev-c", "tv"); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d of %d concurrent redemptions succeeded, want 1", ok, n)
	}
}
