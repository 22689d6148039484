package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestMembersDisableEnable: disabling a member ends their sessions (a
// back-channel logout queued), revokes their refresh tokens and is
// audited; enabling lets them back in; both are audited by "cli".
func TestMembersDisableEnable(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := "--database=" + dsn
		runOK(t, "alice-password", "members", "add", db, "--email", "alice@example.com", "--username", "alice")
		runOK(t, "", "clients", "add", db, "--id", "bc", "--public", "--redirect-uri", "http://localhost/cb",
			"--backchannel-logout-uri", "https://bc.example/logout")
		store := openTestStore(t, dsn)
		s := signedInMember(t, store, "alice@example.com")

		wantContains(t, runOK(t, "", "members", "disable", db, "alice"), "disabled member "+s.MemberID)
		if m, err := store.Members.ByID(ctx, s.MemberID); err != nil || !m.Disabled {
			t.Fatalf("after disable: %+v, %v; want disabled", m, err)
		}
		if _, err := store.Sessions.ByID(ctx, s.ID); !errors.Is(err, idp.ErrNotFound) {
			t.Errorf("session after disable: %v; want it ended", err)
		}
		if _, err := store.Tokens.Get(ctx, storage.KindRefresh, "rt-"+s.ID); !errors.Is(err, idp.ErrNotFound) {
			t.Errorf("refresh token after disable: %v; want it revoked", err)
		}
		if due, err := store.Outbox.Due(ctx, time.Now().Add(time.Hour), 10); err != nil || len(due) != 1 {
			t.Errorf("outbox = %+v, %v; want the ended session's logout", due, err)
		}
		wantContains(t, runOK(t, "", "members", "disable", db, "alice"), "already disabled")
		wantContains(t, runOK(t, "", "members", "enable", db, "alice@example.com"), "enabled member "+s.MemberID)
		if m, err := store.Members.ByID(ctx, s.MemberID); err != nil || m.Disabled {
			t.Fatalf("after enable: %+v, %v; want enabled", m, err)
		}
		events := auditRows(t, db, "--type", string(idp.AuditMemberUpdated))
		if len(events) != 2 || events[0].Actor != actorCLI || events[0].MemberID != s.MemberID {
			t.Fatalf("member.updated events = %+v; want two by cli", events)
		}
		if after := events[1].Detail["after"].(map[string]any); after["disabled"] != true {
			t.Errorf("older event %v; want disabled: true after", events[1].Detail)
		}
		if after := events[0].Detail["after"].(map[string]any); after["disabled"] != false {
			t.Errorf("newer event %v; want disabled: false after", events[0].Detail)
		}
		wantContains(t, idpFails(t, "", "members", "disable", db, "nobody"), "not found")
	})
}
