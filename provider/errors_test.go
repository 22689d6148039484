package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestAuthorizeErrorPages: with an unknown client or an unregistered
// redirect URI the provider shows a page and never redirects (RFC 6749
// §4.1.2.1).
func TestAuthorizeErrorPages(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	for name, q := range map[string]url.Values{
		"unknown client":       {"client_id": {"nobody"}, "redirect_uri": {webRedirect}},
		"unregistered uri":     {"client_id": {"web"}, "redirect_uri": {"http://evil.localhost/callback"}},
		"uri with added query": {"client_id": {"web"}, "redirect_uri": {webRedirect + "?x=1"}},
		"uri with other case":  {"client_id": {"web"}, "redirect_uri": {"http://RP.localhost/callback"}},
		"uri with trailing /":  {"client_id": {"web"}, "redirect_uri": {webRedirect + "/"}},
	} {
		t.Run(name, func(t *testing.T) {
			q.Set("response_type", "code")
			q.Set("scope", "openid")
			q.Set("state", "state-12345678")
			q.Set("code_challenge", s256("verifier-verifier-verifier-verifier-verifier"))
			q.Set("code_challenge_method", "S256")
			pg := b.get(e.issuer + "/oauth2/authorize?" + q.Encode())
			if pg.resp.StatusCode < 400 || pg.resp.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q: want an error page", pg.resp.StatusCode, pg.resp.Header.Get("Location"))
			}
			if !strings.HasPrefix(pg.resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(pg.body, `id="error-code"`) {
				t.Errorf("not an HTML error page: %s", pg.body)
			}
		})
	}
}

// TestAuthorizeErrorRedirects: once the client and redirect URI are
// trusted, errors go back to the client with state and iss.
func TestAuthorizeErrorRedirects(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	base := func() url.Values {
		return url.Values{
			"client_id": {"web"}, "redirect_uri": {webRedirect}, "response_type": {"code"}, "scope": {"openid"},
			"state": {"state-12345678"}, "code_challenge": {s256("verifier-verifier-verifier-verifier-verifier")},
			"code_challenge_method": {"S256"},
		}
	}
	tests := []struct {
		name   string
		change func(url.Values)
		want   string
	}{
		{"no PKCE", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request"},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"unknown scope", func(q url.Values) { q.Set("scope", "openid admin") }, "invalid_scope"},
		{"token response type", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		{"short state", func(q url.Values) { q.Set("state", "abc") }, "invalid_state"},
		{"request object", func(q url.Values) { q.Set("request", "eyJhbGciOiJub25lIn0.e30.") }, "request_not_supported"},
		{"request uri", func(q url.Values) { q.Set("request_uri", "https://rp.example/req") }, "request_uri_not_supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := base()
			tt.change(q)
			cb := b.get(e.issuer + "/oauth2/authorize?" + q.Encode()).redirect(t)
			got := cb.Query()
			if strings.HasPrefix(cb.String(), webRedirect) && got.Get("error") == "" {
				t.Fatalf("no error in %s", cb)
			}
			if got.Get("error") != tt.want {
				t.Errorf("error = %q (%s), want %q", got.Get("error"), got.Get("error_description"), tt.want)
			}
			if got.Get("iss") != e.issuer {
				t.Errorf("iss = %q, want %q", got.Get("iss"), e.issuer)
			}
			if tt.want != "invalid_state" && got.Get("state") != q.Get("state") {
				t.Errorf("state = %q", got.Get("state"))
			}
		})
	}
}

// TestLoginFailures: a wrong password and an unknown user get the same
// generic message and the form again; nothing reveals which was wrong.
func TestLoginFailures(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	r := e.webRP()
	b := e.browser()
	login := b.get(r.authURL(newAuthRequest()))
	var bodies []string
	for _, creds := range [][2]string{{"alice", "wrong-password"}, {"nobody", "wrong-password"}, {"nobody@example.com", alicePass}, {"alice", ""}} {
		pg := b.submit(login, url.Values{"username": {creds[0]}, "password": {creds[1]}}, "", "")
		if !pg.isLogin() || !strings.Contains(pg.body, "The username or password is incorrect.") {
			t.Fatalf("%v: want the form again with the generic message, got %d: %s", creds, pg.resp.StatusCode, pg.body)
		}
		bodies = append(bodies, strings.ReplaceAll(pg.body, creds[0], "USER"))
		login = pg
	}
	if bodies[0] != bodies[1] {
		t.Errorf("wrong password and unknown user pages differ:\n%s\n---\n%s", bodies[0], bodies[1])
	}
	// The form still works after failures.
	pg := b.submit(login, url.Values{"username": {"ALICE@example.com"}, "password": {alicePass}}, "", "")
	if !pg.isConsent() {
		t.Fatalf("case-insensitive email login failed: %d %s", pg.resp.StatusCode, pg.body)
	}
}

// TestLoginCSRF: a login form without the browser's binding cookie or with
// a forged token changes nothing.
func TestLoginCSRF(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	login := b.get(e.webRP().authURL(newAuthRequest()))
	flow := attr(findInput(login, "flow"), "value")

	// Forged token, right cookie.
	pg := b.submit(login, url.Values{"username": {"alice"}, "password": {alicePass}, "csrf_token": {"forged"}}, "", "")
	if pg.resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged csrf token: status %d", pg.resp.StatusCode)
	}
	// Right form fields, another browser (no binding cookie).
	other := e.browser()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/login", strings.NewReader(url.Values{
		"flow": {flow}, "csrf_token": {attr(findInput(login, "csrf_token"), "value")},
		"username": {"alice"}, "password": {alicePass},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if pg := other.do(req); pg.resp.StatusCode != http.StatusForbidden {
		t.Errorf("flow from another browser: status %d", pg.resp.StatusCode)
	}
	if sessions, _ := e.store.Sessions.ByMember(context.Background(), memberID(t, e, "alice")); len(sessions) != 0 {
		t.Errorf("a refused login created %d sessions", len(sessions))
	}
}

// TestConsentDeny: deny sends access_denied to the client and issues no
// code; the consent is not remembered.
func TestConsentDeny(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP()
		b := e.browser()
		a := newAuthRequest()
		pg := b.submit(b.get(r.authURL(a)), url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		cb := b.submit(pg, nil, "consent", "deny").redirect(t)
		q := cb.Query()
		if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("state") != a.state || q.Get("iss") != e.issuer {
			t.Fatalf("deny: %s", cb)
		}
		if !b.get(r.authURL(newAuthRequest())).isConsent() {
			t.Error("after deny, the next request did not ask for consent again")
		}
	})
}

// TestTokenEndpointErrors: RFC 6749 §5.2 JSON errors, and nothing issued.
func TestTokenEndpointErrors(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	r := e.webRP()
	a := newAuthRequest()
	code := e.code(e.browser().signIn(r.authURL(a), "alice", alicePass), a)

	tests := []struct {
		name       string
		form       url.Values
		user, pass string
		status     int
		want       string
	}{
		{"bad code", url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "redirect_uri": {webRedirect}, "code_verifier": {a.verifier}}, "web", webSecret, 400, "invalid_grant"},
		{"wrong verifier", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {oauth2.GenerateVerifier()}}, "web", webSecret, 400, "invalid_grant"},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}}, "svc", "wrong", 401, "invalid_client"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}}, "ghost", "x", 401, "invalid_client"},
		{"post method for a basic client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {svcSecret}}, "", "", 401, "invalid_client"},
		{"grant not registered", url.Values{"grant_type": {"client_credentials"}}, "web", webSecret, 400, "unauthorized_client"},
		{"unknown grant", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePass}}, "web", webSecret, 400, "unsupported_grant_type"},
		{"scope not registered", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:admin"}}, "svc", svcSecret, 400, "invalid_scope"},
		{"audience not registered", url.Values{"grant_type": {"client_credentials"}, "audience": {"https://other.example"}}, "svc", svcSecret, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, out := e.postForm("/oauth2/token", tt.form, tt.user, tt.pass)
			if resp.StatusCode != tt.status || out["error"] != tt.want {
				t.Errorf("status %d error %v (%v), want %d %s", resp.StatusCode, out["error"], out["error_description"], tt.status, tt.want)
			}
			if _, ok := out["access_token"]; ok {
				t.Error("an access token was issued")
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
			}
		})
	}
	// The wrong verifier spent the code (fosite invalidates on a failed
	// PKCE check? either way): the right verifier must still not yield
	// two token sets; at most one exchange ever succeeds.
	_, err1 := r.exchange(code, a)
	_, err2 := r.exchange(code, a)
	if err1 == nil && err2 == nil {
		t.Error("a code was redeemed twice")
	}
}

func findInput(pg *page, name string) *htmlNode {
	for _, in := range walkInputs(pg) {
		if attr(in, "name") == name {
			return in
		}
	}
	return nil
}

func memberID(t *testing.T, e *env, username string) string {
	m, err := e.store.Members.ByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// TestRedirectURIRules: with several registered redirect URIs the request
// must name one; a URI with a query matches only exactly (RFC 9700
// §4.1.3); neither mismatch is ever redirected to.
func TestRedirectURIRules(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	e.addClient(idp.Client{
		ID: "multi", Name: "Multi", GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"},
		RedirectURIs: []string{"http://multi.localhost/a", "http://multi.localhost/b?tenant=1"},
	}, webSecret)
	b := e.browser()
	ask := func(redirect string) *page {
		q := url.Values{
			"client_id": {"multi"}, "response_type": {"code"}, "scope": {"openid"}, "state": {"state-12345678"},
			"code_challenge": {s256("verifier-verifier-verifier-verifier-verifier")}, "code_challenge_method": {"S256"},
		}
		if redirect != "" {
			q.Set("redirect_uri", redirect)
		}
		return b.get(e.issuer + "/oauth2/authorize?" + q.Encode())
	}
	for _, bad := range []string{"", "http://multi.localhost/b", "http://multi.localhost/b?tenant=2", "http://multi.localhost/b?tenant=1&x=1", "http://multi.localhost/a?tenant=1"} {
		if pg := ask(bad); pg.resp.StatusCode < 400 || pg.resp.Header.Get("Location") != "" {
			t.Errorf("redirect_uri %q: status %d, Location %q; want an error page", bad, pg.resp.StatusCode, pg.resp.Header.Get("Location"))
		}
	}
	for _, good := range []string{"http://multi.localhost/a", "http://multi.localhost/b?tenant=1"} {
		if pg := ask(good); !pg.isLogin() {
			t.Errorf("redirect_uri %q: want the login page, got %d", good, pg.resp.StatusCode)
		}
	}
}

// TestLoginThrottled: after too many failures for one account from one
// address, even the right password is refused with 429 and no session is
// created; another account from the same address still signs in.
func TestLoginThrottled(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	login := b.get(e.webRP().authURL(newAuthRequest()))
	for i := range 10 {
		pg := b.submit(login, url.Values{"username": {"alice"}, "password": {"wrong-password"}}, "", "")
		if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, "incorrect") {
			t.Fatalf("failure %d: status %d", i+1, pg.resp.StatusCode)
		}
		login = pg
	}
	pg := b.submit(login, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
	if pg.resp.StatusCode != http.StatusTooManyRequests || !pg.isLogin() || !strings.Contains(pg.body, "Too many failed attempts") {
		t.Fatalf("throttled attempt: status %d: %s", pg.resp.StatusCode, pg.body)
	}
	if ra, err := strconv.Atoi(pg.resp.Header.Get("Retry-After")); err != nil || ra <= 0 || ra > 15*60 {
		t.Errorf("Retry-After = %q, want the seconds left in the window", pg.resp.Header.Get("Retry-After"))
	}
	if sessions, _ := e.store.Sessions.ByMember(context.Background(), memberID(t, e, "alice")); len(sessions) != 0 {
		t.Errorf("a throttled attempt created %d sessions", len(sessions))
	}
	pg = b.submit(pg, url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
	if !pg.isConsent() {
		t.Errorf("another account was throttled too: status %d", pg.resp.StatusCode)
	}
}
