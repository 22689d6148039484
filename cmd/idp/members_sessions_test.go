package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// signedInMember stores a session of the member with email, attached to
// client "bc" (which registers a back-channel logout URI), and a refresh
// token issued through it, and returns the session.
func signedInMember(t *testing.T, store *storage.Store, email string) idp.Session {
	t.Helper()
	ctx := context.Background()
	m, err := store.Members.ByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s := idp.Session{TokenHash: "h-" + time.Now().String(), MemberID: m.ID, AuthTime: now, ExpiresAt: now.Add(time.Hour)}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.Sessions.Create(ctx, &s))
	must(store.Sessions.AddClient(ctx, s.ID, "bc"))
	must(store.Tokens.Create(ctx, storage.Token{Kind: storage.KindRefresh, Signature: "rt-" + s.ID, RequestID: "r-" + s.ID,
		ClientID: "bc", Subject: m.ID, SessionID: s.ID, RequestedAt: now, ExpiresAt: now.Add(time.Hour), Active: true,
		Request: []byte("{}")}))
	return s
}

// TestSecuritySetPasswordEndsSessions checks the rule "a changed password
// ends the member's sessions (back-channel logout sent) and revokes their
// refresh tokens, unless --keep-sessions is given": the command queues the
// logout in the outbox, for the running provider to deliver.
func TestSecuritySetPasswordEndsSessions(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "alice-password\n", "members", "add", db, "--email", "alice@example.com", "--username", "alice", "--name", "A")
		runOK(t, "", "clients", "add", db, "--id", "bc", "--public", "--redirect-uri", "http://localhost/cb",
			"--backchannel-logout-uri", "https://bc.example/logout")
		store := openTestStore(t, dsn)
		ctx := context.Background()

		kept := signedInMember(t, store, "alice@example.com")
		runOK(t, "new-password-1\n", "members", "set-password", db, "--username", "alice", "--keep-sessions")
		if _, err := store.Sessions.ByID(ctx, kept.ID); err != nil {
			t.Fatalf("--keep-sessions ended the session: %v", err)
		}

		out := runOK(t, "new-password-2\n", "members", "set-password", db, "--username", "alice")
		wantContains(t, out, "1 sessions ended")
		if _, err := store.Sessions.ByID(ctx, kept.ID); !errors.Is(err, idp.ErrNotFound) {
			t.Errorf("session after set-password: %v; want it ended", err)
		}
		if _, err := store.Tokens.Get(ctx, storage.KindRefresh, "rt-"+kept.ID); !errors.Is(err, idp.ErrNotFound) {
			t.Errorf("refresh token after set-password: %v; want it revoked", err)
		}
		due, err := store.Outbox.Due(ctx, time.Now().Add(time.Hour), 10)
		if err != nil || len(due) != 1 || due[0].SessionID != kept.ID || due[0].ClientID != "bc" ||
			due[0].URI != "https://bc.example/logout" {
			t.Fatalf("outbox after set-password = %+v, %v; want one logout of the session for bc", due, err)
		}

		// Removing a member ends their sessions the same way.
		gone := signedInMember(t, store, "alice@example.com")
		runOK(t, "", "members", "remove", db, "--username", "alice")
		due, err = store.Outbox.Due(ctx, time.Now().Add(time.Hour), 10)
		if err != nil || len(due) != 2 || (due[0].SessionID != gone.ID && due[1].SessionID != gone.ID) {
			t.Fatalf("outbox after remove = %+v, %v; want the removed member's logout queued", due, err)
		}
		if strings.Contains(out, "new-password") {
			t.Fatal("the password was printed")
		}
	})
}
