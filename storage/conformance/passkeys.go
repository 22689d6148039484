package conformance

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testPasskeys: credentials are stored per member, unique across members,
// renamed and removed only by their member, their counter moves by
// compare and set; a member's user handle is fixed by the first call.
func testPasskeys(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	a := mustMember(t, s, "a@example.com")
	b := mustMember(t, s, "b@example.com")

	h, err := s.Passkeys.Handle(ctx, a.ID, "handle-a")
	must(t, err)
	if again, err := s.Passkeys.Handle(ctx, a.ID, "other"); err != nil || h != "handle-a" || again != h {
		t.Fatalf("Handle = %q then %q, %v; want handle-a twice", h, again, err)
	}
	if id, err := s.Passkeys.MemberByHandle(ctx, "handle-a"); err != nil || id != a.ID {
		t.Errorf("MemberByHandle = %q, %v; want %q", id, err, a.ID)
	}
	_, err = s.Passkeys.MemberByHandle(ctx, "nobody")
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Passkeys.Handle(ctx, "missing", "h")
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Passkeys.Handle(ctx, b.ID, "handle-a")
	wantErr(t, err, idp.ErrConflict)

	pk := idp.Passkey{ID: "cred-1", MemberID: a.ID, Name: "Laptop", PublicKey: "pub", AttestationType: "none",
		AAGUID: "AAAA", SignCount: 4_000_000_000, Transports: []string{"internal", "hybrid"}, BackupEligible: true,
		UserVerified: true, CreatedAt: base}
	must(t, s.Passkeys.Add(ctx, &pk))
	got, err := s.Passkeys.ByID(ctx, "cred-1")
	must(t, err)
	if !reflect.DeepEqual(got, pk) || got.CreatedAt != norm(base) || !got.LastUsedAt.IsZero() {
		t.Errorf("ByID =\n%+v\nwant\n%+v", got, pk)
	}
	dup := idp.Passkey{ID: "cred-1", MemberID: b.ID, Name: "Stolen", PublicKey: "x", AAGUID: "x"}
	wantErr(t, s.Passkeys.Add(ctx, &dup), idp.ErrConflict)
	orphan := idp.Passkey{ID: "cred-x", MemberID: "missing"}
	wantErr(t, s.Passkeys.Add(ctx, &orphan), idp.ErrNotFound)
	second := idp.Passkey{ID: "cred-2", MemberID: a.ID, Name: "Phone", CreatedAt: base.Add(time.Minute)}
	must(t, s.Passkeys.Add(ctx, &second))
	list, err := s.Passkeys.ByMember(ctx, a.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != "cred-1" || list[1].ID != "cred-2" {
		t.Errorf("ByMember = %+v, want cred-1, cred-2", list)
	}
	if list, err := s.Passkeys.ByMember(ctx, b.ID); err != nil || len(list) != 0 {
		t.Errorf("ByMember of another member = %+v, %v", list, err)
	}

	wantErr(t, s.Passkeys.Rename(ctx, b.ID, "cred-1", "Mine now"), idp.ErrNotFound)
	wantErr(t, s.Passkeys.Remove(ctx, b.ID, "cred-1"), idp.ErrNotFound)
	must(t, s.Passkeys.Rename(ctx, a.ID, "cred-1", "Work laptop"))

	used := base.Add(time.Hour)
	must(t, s.Passkeys.Used(ctx, "cred-1", 4_000_000_000, 4_000_000_001, true, used))
	wantErr(t, s.Passkeys.Used(ctx, "cred-1", 4_000_000_000, 4_000_000_002, true, used), idp.ErrConflict)
	wantErr(t, s.Passkeys.Used(ctx, "missing", 0, 1, false, used), idp.ErrNotFound)
	got, err = s.Passkeys.ByID(ctx, "cred-1")
	must(t, err)
	if got.Name != "Work laptop" || got.SignCount != 4_000_000_001 || !got.BackupState || got.LastUsedAt != norm(used) {
		t.Errorf("after Rename and Used: %+v", got)
	}

	must(t, s.Passkeys.Remove(ctx, a.ID, "cred-2"))
	wantErr(t, s.Passkeys.Remove(ctx, a.ID, "cred-2"), idp.ErrNotFound)

	// Deleting the member deletes their passkeys and handle.
	must(t, s.Members.Delete(ctx, a.ID))
	_, err = s.Passkeys.ByID(ctx, "cred-1")
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Passkeys.MemberByHandle(ctx, "handle-a")
	wantErr(t, err, idp.ErrNotFound)
}

// testWebAuthnChallenges: one challenge per binding, taken once and only
// while live, bounded per browser and per address.
func testWebAuthnChallenges(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	put := func(binding, browser, addr string, at time.Time) (idp.WebAuthnChallenge, error) {
		c := idp.WebAuthnChallenge{Binding: binding, BrowserHash: browser, AddrHash: addr, Data: `{"challenge":"` + binding + `"}`,
			CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute)}
		return c, s.WebAuthnChallenges.Put(ctx, &c, 3, 5)
	}
	c, err := put("flow:1", "b1", "addr", base)
	must(t, err)
	if c.ID == "" {
		t.Fatal("Put did not fill the ID")
	}
	// A new challenge of the binding replaces the old one.
	c2, err := put("flow:1", "b1", "addr", base.Add(time.Second))
	must(t, err)
	_, err = s.WebAuthnChallenges.Take(ctx, "flow:1", base.Add(10*time.Minute))
	wantErr(t, err, idp.ErrNotFound) // expired
	// Taking it too late removed nothing: it is still there in time.
	got, err := s.WebAuthnChallenges.Take(ctx, "flow:1", base.Add(time.Minute))
	must(t, err)
	if got.ID != c2.ID || got.Data != c2.Data || got.ExpiresAt != norm(c2.ExpiresAt) {
		t.Errorf("Take = %+v, want the replacing challenge %+v", got, c2)
	}
	_, err = s.WebAuthnChallenges.Take(ctx, "flow:1", base.Add(time.Minute))
	wantErr(t, err, idp.ErrNotFound) // used once

	// Per browser: the oldest beyond three are forgotten.
	for i, b := range []string{"flow:a", "flow:b", "flow:c", "flow:d"} {
		_, err := put(b, "b2", "addr2", base.Add(time.Duration(i)*time.Second))
		must(t, err)
	}
	_, err = s.WebAuthnChallenges.Take(ctx, "flow:a", base.Add(time.Minute))
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.WebAuthnChallenges.Take(ctx, "flow:d", base.Add(time.Minute))
	must(t, err)

	// Per address: five live challenges of other bindings refuse a sixth;
	// replacing one of them is not refused.
	for i := range 5 {
		_, err := put("session:"+string(rune('a'+i)), "browser"+string(rune('a'+i)), "addr3", base)
		must(t, err)
	}
	_, err = put("session:f", "browser-f", "addr3", base)
	wantErr(t, err, idp.ErrLimit)
	_, err = put("session:a", "browsera", "addr3", base)
	must(t, err)
	// Expired ones do not count.
	_, err = put("session:g", "browser-g", "addr3", base.Add(time.Hour))
	must(t, err)

	n, err := s.WebAuthnChallenges.DeleteExpired(ctx, base.Add(time.Hour))
	must(t, err)
	if n != 7 { // b, c of b2; a–e of addr3
		t.Errorf("DeleteExpired removed %d, want 7", n)
	}
}

// testWebAuthnChallengeTakeConcurrent: of concurrent takes of one
// challenge, exactly one gets it.
func testWebAuthnChallengeTakeConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	c := idp.WebAuthnChallenge{Binding: "flow:race", BrowserHash: "b", AddrHash: "a", Data: "{}",
		CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
	must(t, s.WebAuthnChallenges.Put(ctx, &c, 10, 10))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := s.WebAuthnChallenges.Take(ctx, "flow:race", base)
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
		t.Fatalf("%d takes of one challenge succeeded, want 1", wins.Load())
	}
}
