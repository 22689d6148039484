package provider_test

// The RFC 9700 (OAuth 2.0 Security Best Current Practice) sections the
// provider claims, one test each. Sections already proven elsewhere are
// not tested twice:
//
//   - §2.1.1, §4.5 code single use, tokens revoked on reuse: TestCodeReuse,
//     TestConcurrentCodeExchange (code_flow_test.go).
//   - §2.1.1 PKCE with S256 only, plain refused: TestAuthorizeErrorRedirects
//     "plain PKCE"; a code bound to its challenge: security_pkce_test.go.
//   - §2.1 iss in every authorization response (RFC 9207): env.code checks
//     it on every sign-in; errors in TestAuthorizeErrorRedirects; form_post
//     in TestSecurityFormPost.
//   - §4.14.2 refresh rotation with reuse detection: TestRefreshRotation,
//     TestConcurrentRefresh.
//   - §4.7 CSRF on the login and logout forms: TestLoginCSRF,
//     TestLogoutConfirmation.
//   - §4.1.3 exact redirect URI matching (case, trailing slash, query):
//     TestAuthorizeErrorPages, TestRedirectURIRules.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestSecurityBCPRedirectExactMatch: "the authorization server MUST
// utilize exact string matching" of redirect URIs (RFC 9700 §2.1, §4.1.3),
// except the port of a loopback redirect URI (RFC 8252 §7.3). A variation
// in port, scheme, path, user info or encoding is never redirected to.
func TestSecurityBCPRedirectExactMatch(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		for _, bad := range []string{
			"http://rp.localhost:8080/callback", "https://rp.localhost/callback", "http://rp.localhost/callback/../callback",
			"http://rp.localhost/Callback", "http://rp.localhost/callback%2F", "http://evil@rp.localhost/callback",
			"http://rp.localhost/callback#frag", "http://rp.localhost.evil.localhost/callback", "http://rp.localhost/callbackx",
			"//rp.localhost/callback", "http://rp.localhost/%63allback",
		} {
			q := webAuthorize()
			q.Set("redirect_uri", bad)
			pg := b.get(e.issuer + "/oauth2/authorize?" + q.Encode())
			if pg.resp.StatusCode < 400 || pg.resp.Header.Get("Location") != "" {
				t.Errorf("redirect_uri %q: status %d, Location %q; want an error page", bad, pg.resp.StatusCode, pg.resp.Header.Get("Location"))
			}
		}
		// The loopback exception: another port of a registered loopback URI.
		q := url.Values{
			"client_id": {"spa"}, "response_type": {"code"}, "scope": {"openid"}, "state": {"state-12345678"},
			"redirect_uri": {"http://127.0.0.1:10001/spa"}, "code_challenge": {s256("verifier-verifier-verifier-verifier-verifier")},
			"code_challenge_method": {"S256"},
		}
		if pg := b.get(e.issuer + "/oauth2/authorize?" + q.Encode()); !pg.isLogin() {
			t.Errorf("loopback redirect URI on another port: status %d, want the login page", pg.resp.StatusCode)
		}
	})
}

// TestSecurityBCPPKCEDowngrade: "authorization servers MUST ensure that if
// there was no code_challenge in the authorization request, a request to
// the token endpoint containing a code_verifier is rejected" (RFC 9700
// §4.8.2): an injected code issued without PKCE cannot pass for one with.
func TestSecurityBCPPKCEDowngrade(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{
			ID: "legacy", Name: "Legacy", RedirectURIs: []string{"http://legacy.localhost/cb"},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}, SkipConsent: true, AllowPlainOAuth: true,
		}, webSecret)
		r := e.rp("legacy", webSecret, "http://legacy.localhost/cb", "openid")
		a := newAuthRequest()
		cb := e.browser().signIn(r.oauth.AuthCodeURL(a.state, param("nonce", a.nonce)), "alice", alicePass)
		code := e.code(cb, a)
		if status, out := e.redeem("legacy", webSecret, "http://legacy.localhost/cb", code, oauth2.GenerateVerifier()); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("verifier for a code without challenge: status %d %v", status, out["error"])
		}
	})
}

// TestSecurityBCPClickjacking: "authorization servers MUST prevent
// clickjacking attacks" (RFC 9700 §4.16): every page, and every other
// answer too, forbids framing by X-Frame-Options and CSP frame-ancestors.
func TestSecurityBCPClickjacking(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		login := b.get(e.webRP().authURL(newAuthRequest()))
		consent := b.submit(login, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		formPost := formPost(t, e, newAuthRequest())
		pages := map[string]*page{
			"login": login, "consent": consent, "form_post": formPost,
			"error":  b.get(e.issuer + "/oauth2/authorize?client_id=nobody"),
			"logout": b.get(e.issuer + "/oauth2/logout"), "not found": b.get(e.issuer + "/nowhere"),
			"discovery": b.get(e.issuer + "/.well-known/openid-configuration"),
		}
		if !consent.isConsent() {
			t.Fatalf("want the consent page, got %d", consent.resp.StatusCode)
		}
		for name, pg := range pages {
			if got := pg.resp.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("%s: X-Frame-Options %q", name, got)
			}
			if csp := pg.resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: Content-Security-Policy %q", name, csp)
			}
		}
	})
}

// TestSecurityBCPConsentCSRF: the consent decision is a state-changing
// form, protected against CSRF (RFC 9700 §4.7, RFC 6749 §10.12): a forged
// token or a submission from another browser is refused, issues no code
// and remembers no consent.
func TestSecurityBCPConsentCSRF(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		consent := b.submit(b.get(e.webRP().authURL(newAuthRequest())), url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !consent.isConsent() {
			t.Fatalf("want the consent page, got %d", consent.resp.StatusCode)
		}
		if pg := b.submit(consent, url.Values{"csrf_token": {"forged"}}, "consent", "allow"); pg.resp.StatusCode != http.StatusForbidden || pg.resp.Header.Get("Location") != "" {
			t.Errorf("forged csrf token: status %d, Location %q", pg.resp.StatusCode, pg.resp.Header.Get("Location"))
		}
		if pg := e.browser().submit(consent, nil, "consent", "allow"); pg.resp.StatusCode != http.StatusForbidden || pg.resp.Header.Get("Location") != "" {
			t.Errorf("another browser: status %d, Location %q", pg.resp.StatusCode, pg.resp.Header.Get("Location"))
		}
		if !b.get(e.webRP().authURL(newAuthRequest())).isConsent() {
			t.Error("a refused consent form was remembered")
		}
	})
}

// TestSecurityBCPNoImplicitNoPassword: "the implicit grant ... SHOULD NOT
// be used" and "the resource owner password credentials grant MUST NOT be
// used" (RFC 9700 §2.1.2, §2.4): neither is advertised, and asking for a
// token from the authorization endpoint or for the password grant gets a
// refusal that carries no token.
func TestSecurityBCPNoImplicitNoPassword(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		m := e.metadata()
		if !slices.Equal(m.ResponseTypesSupported, []string{"code"}) || slices.Contains(m.GrantTypesSupported, "password") || slices.Contains(m.GrantTypesSupported, "implicit") {
			t.Errorf("discovery offers response types %v, grants %v", m.ResponseTypesSupported, m.GrantTypesSupported)
		}
		b := e.browser()
		for _, rt := range []string{"token", "id_token", "id_token token", "code id_token", "code token", "code id_token token"} {
			q := webAuthorize()
			q.Set("response_type", rt)
			pg := b.get(e.issuer + "/oauth2/authorize?" + q.Encode())
			loc := pg.resp.Header.Get("Location")
			if pg.isLogin() || strings.Contains(loc, "access_token") || strings.Contains(loc, "id_token=") || strings.Contains(loc, "code=") {
				t.Errorf("response_type %q: not refused (status %d, Location %q)", rt, pg.resp.StatusCode, loc)
			}
		}
		resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePass}, "scope": {"openid"}}, "web", webSecret)
		if resp.StatusCode != http.StatusBadRequest || out["error"] != "unsupported_grant_type" || out["access_token"] != nil {
			t.Errorf("password grant: status %d %v", resp.StatusCode, out)
		}
	})
}

// TestSecurityBCPNoOpenRedirect: an authorization server "MUST NOT
// automatically redirect the user agent" to an unregistered redirect URI,
// whatever else is wrong with the request (RFC 9700 §4.11.1, RFC 6749
// §4.1.2.1): each error is shown as a page instead.
func TestSecurityBCPNoOpenRedirect(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		for name, change := range map[string]func(url.Values){
			"bad scope":       func(q url.Values) { q.Set("scope", "openid admin") },
			"bad type":        func(q url.Values) { q.Set("response_type", "token") },
			"no state":        func(q url.Values) { q.Del("state") },
			"request object":  func(q url.Values) { q.Set("request", unsignedObject(`{}`)) },
			"repeated":        func(q url.Values) { q.Add("scope", "openid") },
			"prompt none":     func(q url.Values) { q.Set("prompt", "none") },
			"bad mode":        func(q url.Values) { q.Set("response_mode", "jwt") },
			"form_post error": func(q url.Values) { q.Set("response_mode", "form_post"); q.Set("scope", "admin") },
		} {
			q := webAuthorize()
			change(q)
			q.Set("redirect_uri", "http://evil.localhost/callback")
			pg := b.get(e.issuer + "/oauth2/authorize?" + q.Encode())
			if pg.resp.StatusCode < 400 || pg.resp.Header.Get("Location") != "" || strings.Contains(pg.body, "evil.localhost") {
				t.Errorf("%s: status %d, Location %q; want an error page that never names the URI", name, pg.resp.StatusCode, pg.resp.Header.Get("Location"))
			}
		}
	})
}
