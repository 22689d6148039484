package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// consoleGets are the console's pages, with {bob} and {sid} to fill in.
var consoleGets = []string{
	"/admin", "/admin/", "/admin/members", "/admin/members?q=bob", "/admin/members/new", "/admin/members/{bob}",
	"/admin/members/{bob}/remove", "/admin/clients", "/admin/clients/new", "/admin/clients/svc", "/admin/sessions",
	"/admin/audit", "/admin/keys", "/admin/nothing-here",
}

// consoleForm is one form of the console: the page it is on and its action.
type consoleForm struct{ page, action string }

var consoleForms = []consoleForm{
	{"/admin/members/new", "/admin/members/new"},
	{"/admin/members/{bob}", "/admin/members/{bob}"},
	{"/admin/members/{bob}", "/admin/members/{bob}/disable"},
	{"/admin/members/{bob}", "/admin/members/{bob}/password"},
	{"/admin/members/{bob}", "/admin/members/{bob}/sessions/end"},
	{"/admin/members/{bob}/remove", "/admin/members/{bob}/remove"},
	{"/admin/clients/new", "/admin/clients/new"},
	{"/admin/clients/svc", "/admin/clients/svc"},
	{"/admin/clients/svc", "/admin/clients/svc/secret"},
	{"/admin/sessions", "/admin/sessions/{sid}/end"},
	{"/admin/keys", "/admin/keys/rotate"},
}

// consoleState is what a console form could change: compared before and
// after an attack, it must not move.
type consoleState struct {
	bob         idp.Member
	svcHash     string
	members     int
	clients     int
	keys        int
	bobSessions int
}

func (e *env) consoleState(bobEmail string) consoleState {
	e.t.Helper()
	ctx := context.Background()
	var s consoleState
	s.bob = e.member(bobEmail)
	svc := must(e.store.Clients.ByID(ctx, "svc"))
	s.svcHash = svc.SecretHash
	s.members = len(must(e.store.Members.List(ctx)))
	s.clients = len(must(e.store.Clients.List(ctx)))
	s.keys = len(must(e.store.Keys.List(ctx)))
	s.bobSessions = len(must(e.store.Sessions.ByMember(ctx, s.bob.ID)))
	return s
}

// TestSecurityConsoleAdminsOnly: the console is for members with role
// admin. An administrator demoted while their console tab is open keeps a
// session and valid CSRF tokens, so only the role check stands between
// them and every form: each is refused with 403 and changes nothing, as is
// every page for a member who never was an administrator, and a browser
// without a session is sent to sign in.
func TestSecurityConsoleAdminsOnly(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		ctx := context.Background()
		carol := e.addMember("carol@example.com", "carol", "Carol Example", "carol-password-1", idp.RoleAdmin)
		bob := e.member("bob@example.com")
		bobBrowser := e.browser()
		e.webRP("openid").signInAs(bobBrowser, "bob", bobPass)
		sid := must(e.store.Sessions.ByMember(ctx, bob.ID))[0].ID
		fill := func(s string) string {
			return strings.NewReplacer("{bob}", bob.ID, "{sid}", sid).Replace(s)
		}

		// Carol, still an administrator, opens every form.
		b := e.browser()
		wantStatus(t, e.consoleAs(b, "carol", "carol-password-1"), http.StatusOK, "Members")
		pages := map[string]*page{}
		for _, f := range consoleForms {
			p := fill(f.page)
			if pages[p] == nil {
				pages[p] = b.get(e.issuer + p)
				wantStatus(t, pages[p], http.StatusOK)
			}
			if formAt(pages[p], fill(f.action)) == nil {
				t.Fatalf("no form %s on %s:\n%s", fill(f.action), p, pages[p].body)
			}
		}

		// Then she is demoted.
		demoted := carol
		demoted.Role = idp.RoleMember
		if err := e.store.Members.Update(ctx, demoted); err != nil {
			t.Fatal(err)
		}
		before := e.consoleState("bob@example.com")
		for _, f := range consoleForms {
			fields := url.Values{"email": {"mallory@example.com"}, "id": {"mallory"}, "password": {"mallory-password-1"},
				"role": {"admin"}, "name": {"Mallory"}, "redirect_uris": {"https://evil.example/cb"},
				"grant_types": {"client_credentials"}, "alg": {"ES256"}, "activate_after": {"2m"}}
			got := b.send(pages[fill(f.page)], fill(f.action), fields)
			wantStatus(t, got, http.StatusForbidden, "Not allowed")
		}
		for _, p := range consoleGets {
			wantStatus(t, b.get(e.issuer+fill(p)), http.StatusForbidden, "Not allowed")
		}
		if after := e.consoleState("bob@example.com"); after != before {
			t.Errorf("a demoted administrator's forms changed the store:\nbefore %+v\nafter  %+v", before, after)
		}
		for _, ev := range e.auditOf("") {
			if ev.Actor == idp.ActorMember(carol.ID) && ev.Type != idp.AuditLoginSucceeded {
				t.Errorf("event %s recorded for the demoted administrator", ev.Type)
			}
		}

		// A member who never was an administrator sees no page either.
		for _, p := range consoleGets {
			wantStatus(t, bobBrowser.get(e.issuer+fill(p)), http.StatusForbidden, "Not allowed")
		}

		// Without a session: the login page, and back to the console.
		anon := e.browser()
		for _, p := range consoleGets {
			if pg := anon.get(e.issuer + fill(p)); !pg.isLogin() {
				t.Errorf("GET %s without a session: want the login page, got %d %s", p, pg.resp.StatusCode, pg.body)
			}
		}
		for _, f := range consoleForms {
			pg := anon.do(mustRequest(t, http.MethodPost, e.issuer+fill(f.action), url.Values{"email": {"x@example.com"}}))
			if !pg.isLogin() {
				t.Errorf("POST %s without a session: want the login page, got %d %s", f.action, pg.resp.StatusCode, pg.body)
			}
		}
		if after := e.consoleState("bob@example.com"); after != before {
			t.Errorf("forms without a session changed the store:\nbefore %+v\nafter  %+v", before, after)
		}
	})
}

func mustRequest(t testing.TB, method, u string, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// TestSecurityConsoleCSRF: a console form without its token, or with the
// token of another session of the same administrator, is refused and
// changes nothing.
func TestSecurityConsoleCSRF(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		bob := e.member("bob@example.com")
		bobBrowser := e.browser()
		e.webRP("openid").signInAs(bobBrowser, "bob", bobPass)
		sid := must(e.store.Sessions.ByMember(context.Background(), bob.ID))[0].ID
		fill := func(s string) string {
			return strings.NewReplacer("{bob}", bob.ID, "{sid}", sid).Replace(s)
		}
		b, other := e.browser(), e.browser()
		e.consoleAs(b, "alice", alicePass)
		e.consoleAs(other, "alice", alicePass)
		otherToken := other.get(e.issuer+"/admin/keys").shared().Hidden(t, "csrf_token")
		before := e.consoleState("bob@example.com")
		for _, f := range consoleForms {
			pg := b.get(e.issuer + fill(f.page))
			fields := url.Values{"email": {"mallory@example.com"}, "id": {"mallory"}, "password": {"mallory-password-1"},
				"grant_types": {"client_credentials"}}
			for name, token := range map[string][]string{"no token": nil, "another session's token": {otherToken}, "empty": {""}} {
				fields["csrf_token"] = token
				got := b.send(pg, fill(f.action), fields)
				if got.resp.StatusCode != http.StatusForbidden || !strings.Contains(got.body, "Form expired") {
					t.Errorf("%s with %s: got %d, want 403 Form expired:\n%s", f.action, name, got.resp.StatusCode, got.body)
				}
			}
		}
		if after := e.consoleState("bob@example.com"); after != before {
			t.Errorf("forms without a valid token changed the store:\nbefore %+v\nafter  %+v", before, after)
		}
	})
}

// TestSecurityConsoleRequiresMFA: with console.Config.RequireMFA, an
// administrator whose session did not use a second factor is told one is
// needed and sees no page; once the session has one, the console opens.
func TestSecurityConsoleRequiresMFA(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		strict := idptest.Serve(t, provider.ConsoleRequiringMFA(e.prov))
		b := e.browser()
		wantStatus(t, e.consoleAs(b, "alice", alicePass), http.StatusOK, "Members") // no requirement here
		for _, p := range []string{"/admin/members", "/admin/keys", "/admin/audit"} {
			wantStatus(t, b.get(strict.URL+p), http.StatusForbidden, "Second factor needed")
		}
		before := e.consoleState("bob@example.com")
		pg := b.get(e.issuer + "/admin/keys")
		action := strict.URL + "/admin/keys/rotate"
		req := mustRequest(t, http.MethodPost, action, url.Values{"csrf_token": {pg.shared().Hidden(t, "csrf_token")},
			"alg": {"ES256"}, "activate_after": {"2m"}})
		wantStatus(t, b.do(req), http.StatusForbidden, "Second factor needed")
		if after := e.consoleState("bob@example.com"); after != before {
			t.Errorf("a form without a second factor changed the store")
		}

		ctx := context.Background()
		s := must(e.store.Sessions.ByMember(ctx, e.member(aliceEmail).ID))[0]
		s.AMR = []string{idp.AMRPassword, idp.AMROTP, idp.AMRMFA}
		if err := e.store.Sessions.Update(ctx, s); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, b.get(strict.URL+"/admin/members"), http.StatusOK, "bob@example.com")
	})
}
