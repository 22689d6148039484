package conformance

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func testFlows(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	f := idp.Flow{
		CSRFHash:  "csrf1",
		ClientID:  "app",
		Params:    "client_id=app&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=xyzxyzxyz",
		CreatedAt: base,
		ExpiresAt: base.Add(10 * time.Minute),
	}
	must(t, s.Flows.Create(ctx, &f))
	if f.ID == "" || f.CreatedAt != norm(base) || !f.AuthTime.IsZero() {
		t.Fatalf("Create did not fill the ID or normalise times: %+v", f)
	}
	got, err := s.Flows.ByID(ctx, f.ID)
	must(t, err)
	if !reflect.DeepEqual(got, f) {
		t.Errorf("ByID =\n%+v\nwant (zero AuthTime round-trips as zero)\n%+v", got, f)
	}

	upd := f
	upd.MemberID, upd.SessionID, upd.AuthTime, upd.CSRFHash = "m1", "s1", base.Add(time.Minute), "csrf2"
	upd.Params, upd.ExpiresAt = "changed", base // not updatable
	must(t, s.Flows.Update(ctx, upd))
	got, err = s.Flows.ByID(ctx, f.ID)
	must(t, err)
	want := f
	want.MemberID, want.SessionID, want.AuthTime, want.CSRFHash = "m1", "s1", norm(upd.AuthTime), "csrf2"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after Update =\n%+v\nwant\n%+v", got, want)
	}
	wantErr(t, s.Flows.Update(ctx, idp.Flow{ID: "missing"}), idp.ErrNotFound)

	orphan := idp.Flow{ClientID: "missing"}
	wantErr(t, s.Flows.Create(ctx, &orphan), idp.ErrNotFound)

	// Expired flows are still returned: the provider checks expiry.
	old := idp.Flow{ClientID: "app", CreatedAt: base.Add(-time.Hour), ExpiresAt: base.Add(-time.Minute)}
	must(t, s.Flows.Create(ctx, &old))
	if _, err := s.Flows.ByID(ctx, old.ID); err != nil {
		t.Errorf("ByID of an expired flow: %v", err)
	}
	n, err := s.Flows.DeleteExpired(ctx, base)
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpired removed %d, want 1", n)
	}
	_, err = s.Flows.ByID(ctx, old.ID)
	wantErr(t, err, idp.ErrNotFound)

	must(t, s.Flows.Delete(ctx, f.ID))
	wantErr(t, s.Flows.Delete(ctx, f.ID), idp.ErrNotFound) // single use
	_, err = s.Flows.ByID(ctx, f.ID)
	wantErr(t, err, idp.ErrNotFound)

	testFlowBounds(t, s)
}

// testFlowBounds: CreateBounded keeps the newest flows of a browser and
// refuses a flow beyond the live flows of an address; expired flows do not
// count.
func testFlowBounds(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	flow := func(browser, addr string, i int) *idp.Flow {
		return &idp.Flow{CSRFHash: browser, AddrHash: addr, ClientID: "app",
			CreatedAt: base.Add(time.Duration(i) * time.Second), ExpiresAt: base.Add(time.Hour)}
	}
	var ids []string
	for i := range 4 {
		f := flow("browser-a", "addr-1", i)
		must(t, s.Flows.CreateBounded(ctx, f, 2, 5))
		ids = append(ids, f.ID)
	}
	for i, id := range ids {
		_, err := s.Flows.ByID(ctx, id)
		if live := i >= 2; live != (err == nil) {
			t.Errorf("flow %d of one browser: live = %v (err %v), want %v", i, err == nil, err, live)
		}
	}
	got, err := s.Flows.ByID(ctx, ids[3])
	must(t, err)
	if got.AddrHash != "addr-1" {
		t.Errorf("AddrHash = %q, want addr-1", got.AddrHash)
	}
	// Two live from browser-a; three more browsers fill the address.
	for i := range 3 {
		must(t, s.Flows.CreateBounded(ctx, flow(string(rune('b'+i)), "addr-1", 10+i), 2, 5))
	}
	extra := flow("browser-z", "addr-1", 20)
	wantErr(t, s.Flows.CreateBounded(ctx, extra, 2, 5), idp.ErrLimit)
	if extra.ID != "" {
		if _, err := s.Flows.ByID(ctx, extra.ID); err == nil {
			t.Error("a refused flow was stored")
		}
	}
	must(t, s.Flows.CreateBounded(ctx, flow("browser-z", "addr-2", 20), 2, 5)) // another address
	late := flow("browser-y", "addr-1", 0)
	late.CreatedAt = base.Add(2 * time.Hour) // every earlier flow has expired
	late.ExpiresAt = base.Add(3 * time.Hour)
	must(t, s.Flows.CreateBounded(ctx, late, 2, 5))
}
