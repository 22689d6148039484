package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestConsoleMembers: an administrator finds, adds, edits, disables,
// re-enables, gives a new password to, signs out and removes a member
// through the console's forms; each change is stored through the members
// rules and audited with the administrator as actor, and a refused form
// changes nothing.
func TestConsoleMembers(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		alice := e.member(aliceEmail)
		actor := idp.ActorMember(alice.ID)
		b := e.browser()
		list := e.consoleAs(b, "alice", alicePass)
		wantStatus(t, list, http.StatusOK, "bob@example.com", aliceEmail)
		if list.resp.Request.URL.Path != "/admin/members" {
			t.Fatalf("after sign-in: at %s, want /admin/members", list.resp.Request.URL)
		}
		found := b.send(list, "/admin/members", url.Values{"q": {"bob"}})
		wantStatus(t, found, http.StatusOK, "bob@example.com")
		if strings.Contains(found.body, aliceEmail) {
			t.Errorf("search for bob lists alice:\n%s", found.body)
		}
		wantStatus(t, b.get(e.issuer+"/admin/members?q=BOB@example.com"), http.StatusOK, "bob@example.com")

		// Add: a broken form is shown again with every problem.
		form := b.get(e.issuer + "/admin/members/new")
		bad := b.send(form, "/admin/members/new", url.Values{"email": {"not-an-email"}, "password": {"short"}})
		wantStatus(t, bad, http.StatusUnprocessableEntity, `role="alert"`, "email", "password")
		added := b.send(form, "/admin/members/new", url.Values{"email": {"dave@example.com"}, "username": {"dave"},
			"name": {"Dave Example"}, "password": {"dave-password-1"}})
		wantStatus(t, added, http.StatusOK, "Added.", "Dave Example")
		dave := e.member("dave@example.com")
		if dave.Role != idp.RoleMember || dave.Username != "dave" {
			t.Fatalf("added member = %+v", dave)
		}
		if ev := e.auditOf(idp.AuditMemberCreated); len(ev) != 1 || ev[0].Actor != actor || ev[0].MemberID != dave.ID {
			t.Fatalf("member.created events = %+v, want one by %s", ev, actor)
		}
		taken := b.send(form, "/admin/members/new", url.Values{"email": {"dave@example.com"}, "username": {"dave2"}, "password": {"dave-password-1"}})
		wantStatus(t, taken, http.StatusUnprocessableEntity, "already taken")

		// Edit: name and role; a stale form is refused.
		page := b.get(e.issuer + "/admin/members/" + dave.ID)
		saved := b.send(page, "/admin/members/"+dave.ID, url.Values{"name": {"David Example"}, "role": {"admin"}})
		wantStatus(t, saved, http.StatusOK, "Saved.", "David Example")
		if got := e.member("dave@example.com"); got.Name != "David Example" || got.Role != idp.RoleAdmin {
			t.Fatalf("after edit: %+v", got)
		}
		ev := e.auditOf(idp.AuditMemberUpdated)
		if len(ev) != 1 || ev[0].Actor != actor || fmt.Sprint(ev[0].Detail["after"]) != "map[name:David Example role:admin]" {
			t.Fatalf("member.updated events = %+v", ev)
		}
		stale := b.send(page, "/admin/members/"+dave.ID, url.Values{"name": {"Stale Name"}})
		wantStatus(t, stale, http.StatusUnprocessableEntity, "someone changed this")
		invalid := b.send(saved, "/admin/members/"+dave.ID, url.Values{"email": {"nope"}, "role": {"root"}})
		wantStatus(t, invalid, http.StatusUnprocessableEntity, `role="alert"`, "email", "role")
		if got := e.member("dave@example.com"); got.Name != "David Example" || got.Role != idp.RoleAdmin {
			t.Fatalf("a refused edit changed the member: %+v", got)
		}

		// Disable ends their sessions; enable lets them in again.
		daveBrowser := e.browser()
		e.webRP("openid").signInAs(daveBrowser, "dave", "dave-password-1")
		page = b.get(e.issuer + "/admin/members/" + dave.ID)
		wantStatus(t, page, http.StatusOK, "1 active session")
		wantStatus(t, b.send(page, "/admin/members/"+dave.ID+"/disable", nil), http.StatusOK, "is disabled")
		if got := e.member("dave@example.com"); !got.Disabled {
			t.Fatal("not disabled")
		}
		if n := len(must(e.store.Sessions.ByMember(context.Background(), dave.ID))); n != 0 {
			t.Fatalf("a disabled member keeps %d sessions", n)
		}
		page = b.get(e.issuer + "/admin/members/" + dave.ID)
		wantStatus(t, b.send(page, "/admin/members/"+dave.ID+"/enable", nil), http.StatusOK, "is enabled")

		// A new password: the old one stops working, the new one works.
		page = b.get(e.issuer + "/admin/members/" + dave.ID)
		wantStatus(t, b.send(page, "/admin/members/"+dave.ID+"/password", url.Values{"password": {"x"}}),
			http.StatusUnprocessableEntity, "password")
		wantStatus(t, b.send(page, "/admin/members/"+dave.ID+"/password", url.Values{"password": {"dave-new-password-2"}}),
			http.StatusOK, "password is set")
		e.webRP("openid").signInAs(e.browser(), "dave", "dave-new-password-2")
		pw := e.auditOf(idp.AuditMemberUpdated)[0]
		if pw.Actor != actor || fmt.Sprint(pw.Detail["secrets_changed"]) != "[password]" {
			t.Fatalf("password event = %+v", pw)
		}
		if strings.Contains(fmt.Sprint(pw.Detail), "dave-new-password-2") {
			t.Fatal("the password is in the audit trail")
		}

		// End all their sessions.
		page = b.get(e.issuer + "/admin/members/" + dave.ID)
		wantStatus(t, b.send(page, "/admin/members/"+dave.ID+"/sessions/end", nil), http.StatusOK, "sessions have ended")
		if n := len(must(e.store.Sessions.ByMember(context.Background(), dave.ID))); n != 0 {
			t.Fatalf("%d sessions left after ending them", n)
		}
		if ev := e.auditOf(idp.AuditSessionEnded); len(ev) == 0 || ev[0].Actor != actor || ev[0].MemberID != dave.ID {
			t.Fatalf("session.ended events = %+v", ev)
		}

		// Remove, after the confirmation page.
		confirm := b.get(e.issuer + "/admin/members/" + dave.ID + "/remove")
		wantStatus(t, confirm, http.StatusOK, "cannot be undone")
		if _, err := e.store.Members.ByID(context.Background(), dave.ID); err != nil {
			t.Fatal("the confirmation page removed the member")
		}
		wantStatus(t, b.send(confirm, "/admin/members/"+dave.ID+"/remove", nil), http.StatusOK, "member is removed")
		if _, err := e.store.Members.ByEmail(context.Background(), "dave@example.com"); err == nil {
			t.Fatal("member not removed")
		}
		if ev := e.auditOf(idp.AuditMemberDeleted); len(ev) != 1 || ev[0].Actor != actor {
			t.Fatalf("member.deleted events = %+v", ev)
		}
		wantStatus(t, b.get(e.issuer+"/admin/members/"+dave.ID), http.StatusNotFound, "no such member")
	})
}

// TestConsoleClients: an administrator adds a client (its secret shown
// once), edits one through the clients rules, and rotates a secret: the
// new one works at the token endpoint, the old one no longer does, and the
// secret appears on no later page.
func TestConsoleClients(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		actor := idp.ActorMember(e.member(aliceEmail).ID)
		b := e.browser()
		e.consoleAs(b, "alice", alicePass)
		wantStatus(t, b.get(e.issuer+"/admin/clients"), http.StatusOK, "Web App", "svc")

		// Edit: a new redirect URI and name; a bad URI is refused.
		page := b.get(e.issuer + "/admin/clients/web")
		saved := b.send(page, "/admin/clients/web", url.Values{"name": {"Web App 2"},
			"redirect_uris": {webRedirect + "\nhttp://rp.localhost/other"}})
		wantStatus(t, saved, http.StatusOK, "Saved.", "Web App 2")
		c := must(e.store.Clients.ByID(context.Background(), "web"))
		if c.Name != "Web App 2" || !slices.Equal(c.RedirectURIs, []string{webRedirect, "http://rp.localhost/other"}) {
			t.Fatalf("after edit: %+v", c)
		}
		if ev := e.auditOf(idp.AuditClientUpdated); len(ev) != 1 || ev[0].Actor != actor || ev[0].ClientID != "web" {
			t.Fatalf("client.updated events = %+v", ev)
		}
		bad := b.send(saved, "/admin/clients/web", url.Values{"redirect_uris": {"http://evil.example/cb#frag"}, "grant_types": nil})
		wantStatus(t, bad, http.StatusUnprocessableEntity, `role="alert"`, "redirect_uris", "grant_types")
		if got := must(e.store.Clients.ByID(context.Background(), "web")); !slices.Equal(got.RedirectURIs, c.RedirectURIs) {
			t.Fatalf("a refused edit changed the client: %+v", got)
		}

		// Add a confidential client: the secret is on the answer only.
		form := b.get(e.issuer + "/admin/clients/new")
		created := b.send(form, "/admin/clients/new", url.Values{"id": {"batch"}, "name": {"Batch"},
			"grant_types": {"client_credentials"}, "scopes": {"api:read"}, "redirect_uris": {""}})
		wantStatus(t, created, http.StatusCreated, "shown only once")
		secret := secretOn(t, created)
		if tok := e.clientToken("batch", secret); tok == "" {
			t.Fatal("the new client's secret does not work")
		}
		if ev := e.auditOf(idp.AuditClientCreated); len(ev) != 1 || ev[0].Actor != actor || strings.Contains(fmt.Sprint(ev[0].Detail), secret) {
			t.Fatalf("client.created events = %+v", ev)
		}

		// Rotate svc's secret.
		page = b.get(e.issuer + "/admin/clients/svc")
		rotated := b.send(page, "/admin/clients/svc/secret", nil)
		wantStatus(t, rotated, http.StatusOK, "shown only once")
		secret = secretOn(t, rotated)
		if e.clientToken("svc", secret) == "" {
			t.Fatal("the rotated secret does not work")
		}
		if e.clientToken("svc", svcSecret) != "" {
			t.Fatal("the old secret still works")
		}
		for _, p := range []string{"/admin/clients/svc", "/admin/clients", "/admin/audit"} {
			if pg := b.get(e.issuer + p); strings.Contains(pg.body, secret) {
				t.Fatalf("%s shows the secret again", p)
			}
		}
		if ev := e.auditOf(idp.AuditClientSecretSet); len(ev) != 1 || ev[0].Actor != actor || ev[0].ClientID != "svc" ||
			fmt.Sprint(ev[0].Detail["secrets_changed"]) != "[secret]" {
			t.Fatalf("client.secret_rotated events = %+v", ev)
		}
		// A public client has no secret to rotate: no button, and a forged
		// request is refused.
		if page := b.get(e.issuer + "/admin/clients/spa"); formAt(page, "/admin/clients/spa/secret") != nil {
			t.Fatal("a public client offers a secret rotation")
		}
		token := page.shared().Hidden(t, "csrf_token")
		refused := b.do(mustRequest(t, http.MethodPost, e.issuer+"/admin/clients/spa/secret", url.Values{"csrf_token": {token}}))
		wantStatus(t, refused, http.StatusUnprocessableEntity, "public")
	})
}

// secretOn reads the secret shown on a console page.
func secretOn(t testing.TB, pg *page) string {
	t.Helper()
	for _, in := range formInputs(pg.doc) {
		if in.name == "secret" && in.value != "" {
			return in.value
		}
	}
	t.Fatalf("no secret on the page:\n%s", pg.body)
	return ""
}

// clientToken asks for a client-credentials token, returning "" when
// refused.
func (e *env) clientToken(id, secret string) string {
	e.t.Helper()
	resp, body := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, id, secret)
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	tok, _ := body["access_token"].(string)
	return tok
}

// TestConsoleSessionsKeysAudit: the sessions page lists a live session and
// ends it; the keys page lists the keys and rotates one; the audit page
// filters by type, member, client and time and pages through the trail.
func TestConsoleSessionsKeysAudit(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		ctx := context.Background()
		actor := idp.ActorMember(e.member(aliceEmail).ID)
		bob := e.member("bob@example.com")
		e.webRP("openid").signInAs(e.browser(), "bob", bobPass)
		sid := must(e.store.Sessions.ByMember(ctx, bob.ID))[0].ID
		b := e.browser()
		e.consoleAs(b, "alice", alicePass)

		sessions := b.get(e.issuer + "/admin/sessions")
		wantStatus(t, sessions, http.StatusOK, "bob@example.com", aliceEmail)
		wantStatus(t, b.send(sessions, "/admin/sessions/"+sid+"/end", nil), http.StatusOK, "session has ended")
		if _, err := e.store.Sessions.ByID(ctx, sid); err == nil {
			t.Fatal("session not ended")
		}
		if ev := e.auditOf(idp.AuditSessionEnded); len(ev) != 1 || ev[0].Actor != actor || ev[0].SessionID != sid {
			t.Fatalf("session.ended events = %+v", ev)
		}
		wantStatus(t, b.get(e.issuer+"/admin/sessions"), http.StatusOK)

		keysPage := b.get(e.issuer + "/admin/keys")
		before := must(e.store.Keys.List(ctx))
		wantStatus(t, keysPage, http.StatusOK, before[0].ID, "active", "RS256", "ES256", "EdDSA")
		wantStatus(t, b.send(keysPage, "/admin/keys/rotate", url.Values{"activate_after": {"soon"}}),
			http.StatusUnprocessableEntity, "activate_after")
		wantStatus(t, b.send(keysPage, "/admin/keys/rotate", url.Values{"activate_after": {"1s"}}),
			http.StatusUnprocessableEntity, "activate_after")
		if n := len(must(e.store.Keys.List(ctx))); n != len(before) {
			t.Fatalf("refused rotations added keys: %d, was %d", n, len(before))
		}
		rotated := b.send(keysPage, "/admin/keys/rotate", url.Values{"alg": {"ES256"}, "activate_after": {"5m"}})
		wantStatus(t, rotated, http.StatusOK, "new key is added", "next")
		after := must(e.store.Keys.List(ctx))
		if len(after) != len(before)+1 {
			t.Fatalf("keys after rotation: %d, want %d", len(after), len(before)+1)
		}
		ev := e.auditOf(idp.AuditKeyRotated)
		if len(ev) != 1 || ev[0].Actor != actor || ev[0].Detail["alg"] != "ES256" {
			t.Fatalf("key.rotated events = %+v", ev)
		}

		// Audit: filters, and pages of PageSize newest first.
		for i := range 60 {
			err := e.store.Audit.Append(ctx, &idp.AuditEvent{Type: idp.AuditTokenIssued, Actor: "client:svc",
				ClientID: "svc", Time: time.Now().Add(-time.Duration(i) * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
		}
		audit := b.get(e.issuer + "/admin/audit?type=key.rotated")
		wantStatus(t, audit, http.StatusOK, "key.rotated", actor)
		if strings.Contains(audit.body, "<td>session.ended</td>") {
			t.Fatal("type filter lets other events through")
		}
		wantStatus(t, b.get(e.issuer+"/admin/audit?member="+bob.ID), http.StatusOK, "<td>session.ended</td>")
		first := b.get(e.issuer + "/admin/audit?client=svc")
		if n := strings.Count(first.body, "<td>token.issued</td>"); n != 50 {
			t.Fatalf("first page has %d events, want 50", n)
		}
		next := formAtLink(t, first, "Older events")
		second := b.get(e.issuer + next)
		if n := strings.Count(second.body, "<td>token.issued</td>"); n != 10 {
			t.Fatalf("second page has %d events, want 10", n)
		}
		future := time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04")
		if pg := b.get(e.issuer + "/admin/audit?since=" + future); strings.Contains(pg.body, "<td>token.issued</td>") {
			t.Fatal("since filter lets earlier events through")
		}
		wantStatus(t, b.get(e.issuer+"/admin/audit?until=yesterday"), http.StatusBadRequest, `role="alert"`, "Until")
		wantStatus(t, b.get(e.issuer+"/admin/audit?cursor=garbage"), http.StatusBadRequest, `role="alert"`)
	})
}

// formAtLink returns the href of the link of pg whose text is text.
func formAtLink(t testing.TB, pg *page, text string) string {
	t.Helper()
	i := strings.Index(pg.body, ">"+text+"</a>")
	if i < 0 {
		t.Fatalf("no link %q on the page:\n%s", text, pg.body)
	}
	j := strings.LastIndex(pg.body[:i], `href="`)
	return strings.ReplaceAll(pg.body[j+len(`href="`):i-1], "&amp;", "&")
}

// TestConsoleBesideAPI: the console at /admin and the REST API at
// /admin/v1 do not shadow each other.
func TestConsoleBesideAPI(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	e.consoleAs(b, "alice", alicePass)
	for path, want := range map[string]string{
		"/admin/v1/members": "application/problem+json", "/admin/v1/openapi.json": "application/json",
		"/admin/v1": "application/problem+json", "/admin/members": "text/html", "/admin": "text/html",
	} {
		pg := b.get(e.issuer + path)
		if ct := pg.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("GET %s: Content-Type %q (status %d), want %s", path, ct, pg.resp.StatusCode, want)
		}
	}
	if pg := b.get(e.issuer + "/admin/v1/members"); pg.resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /admin/v1/members with a console session but no token: %d, want 401", pg.resp.StatusCode)
	}
}

// TestConsoleResetFactors: an administrator removes a member's second
// factors from the member's page; the member signs in with the password
// alone afterwards, and the reset is audited with the administrator as
// actor.
func TestConsoleResetFactors(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		bob := e.giveTOTP("bob@example.com")
		b := e.browser()
		e.consoleAs(b, "alice", alicePass)
		page := b.get(e.issuer + "/admin/members/" + bob.ID)
		reset := b.send(page, "/admin/members/"+bob.ID+"/factors/reset", nil)
		wantStatus(t, reset, http.StatusOK, "second factors were removed")
		if have, err := e.factors().Methods(context.Background(), bob.ID); err != nil || len(have) != 0 {
			t.Fatalf("bob's factors after the reset = %v, %v; want none", have, err)
		}
		ev := e.auditOf(idp.AuditMFAReset)
		if len(ev) != 1 || ev[0].Actor != idp.ActorMember(e.member(aliceEmail).ID) || ev[0].MemberID != bob.ID {
			t.Fatalf("mfa.reset events = %+v, want one by alice about bob", ev)
		}
		bb := e.browser()
		pg := bb.submit(bb.get(e.webRP().authURL(newAuthRequest())), url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
		if pg.isOTP() || !pg.isConsent() {
			t.Fatalf("after the reset bob's sign-in: want consent without a code, got %s", pg.resp.Request.URL)
		}
	})
}

// TestConsoleInvite: with mail on, the member page sends an invitation
// whose link sets the first password; with mail off it offers none and a
// forged post changes nothing.
func TestConsoleInvite(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newEnv(t, open(t), withMail(mb))
		bob := e.member("bob@example.com")
		b := e.browser()
		e.consoleAs(b, "alice", alicePass)
		page := b.get(e.issuer + "/admin/members/" + bob.ID)
		sent := b.send(page, "/admin/members/"+bob.ID+"/invite", nil)
		wantStatus(t, sent, http.StatusOK, "invitation to choose a password was mailed")
		link := mb.next(1).parse(t).link(t)
		done := setPassword(t, e.browser(), link, "bob-invited-password")
		if !strings.Contains(done.body, `id="done"`) || !e.passwordIs("bob", "bob-invited-password") {
			t.Fatalf("following the invitation: %s", done.body)
		}
		if ev := e.auditOf(idp.AuditMemberInvited); len(ev) != 1 || ev[0].Actor != idp.ActorMember(e.member(aliceEmail).ID) {
			t.Fatalf("member.invited events = %+v, want one by alice", ev)
		}
	})
	e := newEnv(t, openSQLite(t))
	bob := e.member("bob@example.com")
	b := e.browser()
	e.consoleAs(b, "alice", alicePass)
	page := b.get(e.issuer + "/admin/members/" + bob.ID)
	if strings.Contains(page.body, `id="invite"`) {
		t.Fatal("with mail off the member page offers an invitation")
	}
	forged := b.postAccount("/admin/members/"+bob.ID+"/invite", url.Values{"csrf_token": {page.shared().Hidden(t, "csrf_token")}})
	if forged.resp.StatusCode != http.StatusConflict {
		t.Fatalf("invitation with mail off: %d %s", forged.resp.StatusCode, forged.body)
	}
}
