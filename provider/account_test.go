package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idp/idp/provider/authflow"
	"github.com/idp/idp/storage"
)

// TestAccountSignIn: the account page sends a browser without a session
// through the ordinary login page and back to the page it asked for; a
// signed-in browser (SSO from an app's sign-in) goes straight in.
func TestAccountSignIn(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		pg := b.get(e.issuer + "/account")
		if !pg.isLogin() {
			t.Fatalf("/account without a session: want the login page, got %d %s", pg.resp.StatusCode, pg.body)
		}
		if !strings.Contains(pg.body, "your account") {
			t.Errorf("the login page of the account does not say what it signs in to: %s", pg.body)
		}
		bad := b.submit(pg, url.Values{"username": {"alice"}, "password": {"wrong-password"}}, "", "")
		if !bad.isLogin() {
			t.Fatalf("wrong password: want the login page again, got %d %s", bad.resp.StatusCode, bad.body)
		}
		pg = b.submit(bad, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if pg.resp.StatusCode != http.StatusOK || pg.resp.Request.URL.Path != "/account" || !strings.Contains(pg.body, aliceEmail) {
			t.Fatalf("after sign-in: want /account with the member, got %d %s %s", pg.resp.StatusCode, pg.resp.Request.URL, pg.body)
		}

		// SSO: a browser signed in through an app is in at once.
		b2 := e.browser()
		e.webRP("openid").signInAs(b2, "bob", bobPass)
		pg = b2.get(e.issuer + "/account")
		if pg.isLogin() || !strings.Contains(pg.body, "bob@example.com") {
			t.Fatalf("/account after an app's sign-in: want the account page, got %s", pg.body)
		}
	})
}

// TestAccountFlowNotConsent: the flow of an account sign-in cannot be
// used at the consent page, which would treat it as an app's request.
func TestAccountFlowNotConsent(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	pg := b.get(e.issuer + "/account")
	flow := pg.shared().Hidden(t, "flow")
	if flow == "" {
		t.Fatalf("no flow on the login page: %s", pg.body)
	}
	b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
	got := b.get(e.issuer + "/consent?flow=" + url.QueryEscape(flow))
	if got.resp.StatusCode < 400 {
		t.Fatalf("consent page of an account flow: want an error page, got %d %s", got.resp.StatusCode, got.body)
	}
}

// TestLocalReturn: only the provider's own pages are return paths, so the
// login page is no open redirector.
func TestLocalReturn(t *testing.T) {
	for path, want := range map[string]bool{
		"/account": true, "/account/sessions": true, "/admin": true, "/admin/members?q=a": true,
		"": false, "account": false, "//evil.example/account": false, "https://evil.example/account": false,
		"/accounts": false, "/account/../oauth2/token": false, "/\\evil.example": false, "/admin/./x": false,
		"/oauth2/authorize": false, "javascript:alert(1)": false, "/%2e%2e/x": false,
	} {
		if got := authflow.LocalReturn(path); got != want {
			t.Errorf("LocalReturn(%q) = %v, want %v", path, got, want)
		}
	}
}
