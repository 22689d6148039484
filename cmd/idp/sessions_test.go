package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestSessionsListAndRevoke: revoking a session ends it as a sign-out
// would, its refresh token revoked and its client's back-channel logout
// queued for the running provider; the member's other session lives on.
func TestSessionsListAndRevoke(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := "--database=" + dsn
		runOK(t, "alice-password", "members", "add", db, "--email", "alice@example.com", "--username", "alice")
		runOK(t, "bob-password", "members", "add", db, "--email", "bob@example.com", "--username", "bob")
		runOK(t, "", "clients", "add", db, "--id", "bc", "--public", "--redirect-uri", "http://localhost/cb",
			"--backchannel-logout-uri", "https://bc.example/logout")
		store := openTestStore(t, dsn)
		a1, a2 := signedInMember(t, store, "alice@example.com"), signedInMember(t, store, "alice@example.com")
		b := signedInMember(t, store, "bob@example.com")

		all := decodeList[sessionJSON](t, runOK(t, "", "sessions", "list", db, "--json"))
		if len(all) != 3 {
			t.Fatalf("sessions list --json = %+v; want 3", all)
		}
		mine := decodeList[sessionJSON](t, runOK(t, "", "sessions", "list", db, "--member", "alice", "--json"))
		if len(mine) != 2 || mine[0].MemberEmail != "alice@example.com" || mine[0].ExpiresAt.IsZero() {
			t.Fatalf("sessions list --member alice = %+v", mine)
		}
		wantContains(t, runOK(t, "", "sessions", "list", db), "SID", a1.ID, a2.ID, b.ID, "bob@example.com")

		wantContains(t, runOK(t, "", "sessions", "revoke", db, a1.ID), "ended session "+a1.ID)
		if _, err := store.Sessions.ByID(ctx, a1.ID); !errors.Is(err, idp.ErrNotFound) {
			t.Fatalf("revoked session: %v; want it gone", err)
		}
		if _, err := store.Tokens.Get(ctx, storage.KindRefresh, "rt-"+a1.ID); !errors.Is(err, idp.ErrNotFound) {
			t.Fatalf("refresh token of the revoked session: %v; want it revoked", err)
		}
		for _, s := range []idp.Session{a2, b} {
			if _, err := store.Sessions.ByID(ctx, s.ID); err != nil {
				t.Fatalf("session %s ended with another: %v", s.ID, err)
			}
		}
		due, err := store.Outbox.Due(ctx, time.Now().Add(time.Hour), 10)
		if err != nil || len(due) != 1 || due[0].SessionID != a1.ID || due[0].URI != "https://bc.example/logout" {
			t.Fatalf("outbox = %+v, %v; want the revoked session's logout", due, err)
		}
		ended := auditRows(t, db, "--type", string(idp.AuditSessionEnded))
		if len(ended) != 1 || ended[0].SessionID != a1.ID || ended[0].Actor != actorCLI || ended[0].MemberID != a1.MemberID {
			t.Fatalf("session.ended events = %+v; want the revoked session's, by %s", ended, actorCLI)
		}
		wantContains(t, idpFails(t, "", "sessions", "revoke", db, a1.ID), "not found")
		wantContains(t, idpFails(t, "", "sessions", "list", db, "--member", "carol"), "not found")
	})
}
