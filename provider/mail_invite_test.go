package provider_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestInvitation: an administrator adds a member with invite and no
// password; the mail's link sets the first password and verifies the
// address, and the member signs in with it; the link works once.
func TestInvitation(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newAdminEnv(t, open, withMail(mb))
		tok := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		created := e.call(tok, http.MethodPost, "/members", map[string]any{
			"email": "carol@example.com", "username": "carol", "name": "Carol New", "invite": true,
		}).want(t, http.StatusCreated)
		if created.json["email_verified"] != false {
			t.Errorf("invited member: email_verified = %v, want false", created.json["email_verified"])
		}
		// No password yet: nothing signs in.
		login := e.browser().get(e.webRP().authURL(newAuthRequest()))
		if pg := e.browser().submit(login, map[string][]string{"username": {"carol"}, "password": {""}}, "", ""); pg.resp.StatusCode == http.StatusSeeOther {
			t.Fatal("an invited member signed in without a password")
		}
		m := mb.next(1).parse(t)
		if m.header.Get("Subject") != "You are invited: choose your password" || !strings.Contains(m.header.Get("To"), "carol@example.com") {
			t.Fatalf("invitation headers: %v", m.header)
		}
		link := m.link(t)
		if !strings.HasPrefix(link, e.issuer+"/invite?token=") {
			t.Fatalf("link %q", link)
		}
		b := e.browser()
		if done := setPassword(t, b, link, newPass); !strings.Contains(done.body, `id="done"`) {
			t.Fatalf("accept invitation: %d %s", done.resp.StatusCode, done.body)
		}
		if again := b.get(link); !strings.Contains(again.body, `id="invalid"`) {
			t.Fatalf("second use: %s", again.body)
		}
		_, claims := e.webRP().signInAs(e.browser(), "carol", newPass)
		if claims["email_verified"] != true {
			t.Errorf("after the invitation: email_verified = %v, want true", claims["email_verified"])
		}
		id := created.str("id")
		if ev := e.audit.last(idp.AuditMemberInvited); ev == nil || ev["member"] != id || ev["actor"] != "client:ops" {
			t.Errorf("member.invited: %v", ev)
		}
		if ev := e.audit.last(idp.AuditInvitationAccepted); ev == nil || ev["member"] != id {
			t.Errorf("invitation.accepted: %v", ev)
		}

		// Inviting again (an existing member) sends a new link.
		e.call(tok, http.MethodPost, "/members/"+id+"/invite", nil).want(t, http.StatusAccepted)
		mb.next(2)
		e.call(tok, http.MethodPost, "/members/nope/invite", nil).want(t, http.StatusNotFound, "not-found")
	})
}

// TestInvitationMailOff: without a mail server an invitation is refused
// as mail-off and creates no member.
func TestInvitationMailOff(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, func(tb testing.TB) *storage.Store { return openSQLite(tb) })
	tok := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
	e.call(tok, http.MethodPost, "/members", map[string]any{
		"email": "dan@example.com", "username": "dan", "name": "Dan", "invite": true,
	}).want(t, http.StatusConflict, "mail-off")
	list := e.call(tok, http.MethodGet, "/members?email=dan@example.com", nil).want(t, http.StatusOK)
	if items, _ := list.json["items"].([]any); len(items) != 0 {
		t.Errorf("a refused invitation created a member: %s", list.body)
	}
	if n := e.audit.last(idp.AuditMemberCreated); n != nil {
		t.Errorf("a refused invitation created a member: %v", n)
	}
	// No password and no invitation: the password is required.
	e.call(tok, http.MethodPost, "/members", map[string]any{
		"email": "dan@example.com", "username": "dan", "name": "Dan",
	}).want(t, http.StatusUnprocessableEntity, "invalid-field", "password")
}

// TestEmailChangeVerification: an administrator's change of address makes
// it unverified and mails a verification link to the new address; the
// administrator may vouch for an address.
func TestEmailChangeVerification(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newAdminEnv(t, open, withMail(mb))
		tok := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		bob, err := e.store.Members.ByUsername(t.Context(), "bob")
		if err != nil {
			t.Fatal(err)
		}
		path := "/members/" + bob.ID
		get := e.call(tok, http.MethodGet, path, nil).want(t, http.StatusOK)
		got := e.call(tok, http.MethodPatch, path, `{"email_verified": true}`, "Content-Type", "application/merge-patch+json",
			"If-Match", get.header.Get("ETag")).want(t, http.StatusOK)
		if got.json["email_verified"] != true {
			t.Fatalf("vouch: %s", got.body)
		}
		mb.quiet(0)
		got = e.call(tok, http.MethodPatch, path, `{"email": "bobby@example.com"}`, "Content-Type", "application/merge-patch+json",
			"If-Match", got.header.Get("ETag")).want(t, http.StatusOK)
		if got.json["email_verified"] != false {
			t.Fatalf("new address still verified: %s", got.body)
		}
		rcv := mb.next(1)
		if len(rcv.rcpt) != 1 || rcv.rcpt[0] != "bobby@example.com" {
			t.Fatalf("verification went to %q", rcv.rcpt)
		}
		link := rcv.parse(t).link(t)
		b := e.browser()
		if done := b.submit(b.get(link), nil, "", ""); !strings.Contains(done.body, `id="done"`) {
			t.Fatalf("confirm: %s", done.body)
		}
		if m, _ := e.store.Members.ByID(t.Context(), bob.ID); !m.EmailVerified {
			t.Error("not verified after following the link")
		}
	})
}
