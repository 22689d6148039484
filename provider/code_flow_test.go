package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/idp/idp/storage"
)

// TestCodeFlow signs in through the real login and consent forms with
// go-oidc and x/oauth2, verifies the ID token through the JWKS and checks
// every claim the spec and RFC 9068 ask for.
func TestCodeFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP()
		b := e.browser()
		a := newAuthRequest()

		pg := b.get(r.authURL(a))
		if !pg.isLogin() {
			t.Fatalf("want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		if got := pg.resp.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("login page X-Frame-Options = %q, want DENY", got)
		}
		if !strings.Contains(pg.resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("login page CSP lacks frame-ancestors: %q", pg.resp.Header.Get("Content-Security-Policy"))
		}
		pg = b.submit(pg, url.Values{"username": {aliceEmail}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("want the consent page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		for _, s := range []string{"Web App", "openid", "profile", "email", "roles", "offline_access"} {
			if !strings.Contains(pg.body, s) {
				t.Errorf("consent page does not mention %q", s)
			}
		}
		cb := b.submit(pg, nil, "consent", "allow").redirect(t)
		if got := cb.Scheme + "://" + cb.Host + cb.Path; got != webRedirect {
			t.Fatalf("redirected to %s, want %s", got, webRedirect)
		}
		code := e.code(cb, a)

		tok, err := r.exchange(code, a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if tok.RefreshToken == "" {
			t.Error("no refresh token although offline_access was granted")
		}
		idt, claims := r.idToken(tok, a.nonce)
		if idt.Issuer != e.issuer || !slices.Equal(idt.Audience, []string{"web"}) {
			t.Errorf("id token iss/aud = %s/%v", idt.Issuer, idt.Audience)
		}
		for _, c := range []string{"auth_time", "sid", "at_hash", "iat", "exp", "name", "preferred_username", "updated_at", "email", "email_verified", "roles"} {
			if _, ok := claims[c]; !ok {
				t.Errorf("id token lacks %q: %v", c, claims)
			}
		}
		if claims["name"] != "Alice Example" || claims["preferred_username"] != "alice" || claims["email"] != aliceEmail {
			t.Errorf("id token profile claims = %v", claims)
		}
		if raw := rawClaims(t, tok.Extra("id_token").(string)); !regexp.MustCompile(`"updated_at":\d+[,}]`).MatchString(raw) {
			t.Errorf("updated_at is not an integer: %s", raw)
		}
		if roles, _ := claims["roles"].([]any); len(roles) != 1 || roles[0] != "admin" {
			t.Errorf("roles = %v, want [admin]", claims["roles"])
		}

		// RFC 9068 access token.
		h, at := jwtParts(t, tok.AccessToken)
		if h["typ"] != "at+jwt" || h["alg"] != "RS256" || h["kid"] == nil {
			t.Errorf("access token header = %v", h)
		}
		if h["kid"] != idtKID(t, tok) {
			t.Errorf("access and ID token kids differ: %v vs %v", h["kid"], idtKID(t, tok))
		}
		for _, c := range []string{"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"} {
			if _, ok := at[c]; !ok {
				t.Errorf("access token lacks %q: %v", c, at)
			}
		}
		if at["sub"] != idt.Subject || at["client_id"] != "web" || at["iss"] != e.issuer {
			t.Errorf("access token claims = %v", at)
		}
		if aud, _ := at["aud"].([]any); len(aud) == 0 {
			t.Errorf("access token aud is empty: %v (claims %v)", at["aud"], at)
		}
		if at["scope"] != "openid profile email roles offline_access" {
			t.Errorf("scope = %v", at["scope"])
		}
		// The access token verifies against the JWKS as well.
		keys := oidc.NewRemoteKeySet(context.Background(), e.issuer+"/.well-known/jwks.json")
		if _, err := keys.VerifySignature(context.Background(), tok.AccessToken); err != nil {
			t.Errorf("access token does not verify with the JWKS: %v", err)
		}

		// Userinfo through go-oidc (GET with bearer).
		ui, err := r.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		var uc map[string]any
		_ = ui.Claims(&uc)
		if ui.Subject != idt.Subject || uc["name"] != "Alice Example" || uc["email"] != aliceEmail || uc["preferred_username"] != "alice" {
			t.Errorf("userinfo = %v", uc)
		}

		// The same browser signs in again without a password or consent.
		a2 := newAuthRequest()
		pg = b.get(r.authURL(a2))
		if pg.isLogin() || pg.isConsent() {
			t.Fatalf("second sign-in asked again: %s", pg.body)
		}
		if _, err := r.exchange(e.code(pg.redirect(t), a2), a2); err != nil {
			t.Fatalf("second exchange: %v", err)
		}
	})
}

func idtKID(t *testing.T, tok *oauth2.Token) any {
	h, _ := jwtParts(t, tok.Extra("id_token").(string))
	return h["kid"]
}

// TestTokenResponseNoStore: token responses must not be cached (RFC 6749
// §5.1).
func TestTokenResponseNoStore(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, "svc", svcSecret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %v", resp.StatusCode, out)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
}

// TestUserinfoPostAndErrors: POST with a form token works; a missing token
// gets a bare challenge, a bad one invalid_token (RFC 6750 §3).
func TestUserinfoPostAndErrors(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	tok, _ := e.signedIn(e.webRP(), e.browser())

	resp, out := e.postForm("/oauth2/userinfo", url.Values{"access_token": {tok.AccessToken}}, "", "")
	if resp.StatusCode != http.StatusOK || out["email"] != aliceEmail {
		t.Fatalf("POST userinfo: %d %v", resp.StatusCode, out)
	}

	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/oauth2/userinfo", nil)
	res := must(testClient.Do(req))
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || strings.Contains(res.Header.Get("WWW-Authenticate"), "error=") ||
		!strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken+"x")
	res = must(testClient.Do(req))
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("bad token: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
}

// TestPublicClientPKCE: a public client signs in with PKCE and no secret.
func TestPublicClientPKCE(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	r := e.rp("spa", "", "http://127.0.0.1:9999/spa", "openid", "profile", "offline_access")
	a := newAuthRequest()
	cb := e.browser().signIn(r.authURL(a), "bob", bobPass)
	tok, err := r.exchange(e.code(cb, a), a)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	_, claims := r.idToken(tok, a.nonce)
	if claims["preferred_username"] != "bob" {
		t.Errorf("claims = %v", claims)
	}
	// The verifier is required: an exchange without it fails.
	a2 := newAuthRequest()
	cb = e.browser().signIn(r.authURL(a2), "bob", bobPass)
	resp, out := e.postForm("/oauth2/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {e.code(cb, a2)}, "client_id": {"spa"},
		"redirect_uri": {"http://127.0.0.1:9999/spa"},
	}, "", "")
	if resp.StatusCode != http.StatusBadRequest || out["error"] == nil {
		t.Errorf("exchange without verifier: %d %v", resp.StatusCode, out)
	}
}

// TestRefreshRotation: every refresh returns a new refresh token; the old
// one is dead; presenting it again revokes the whole family.
func TestRefreshRotation(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP()
		tok, a := e.signedIn(r, e.browser())

		refresh := func(rt string) (*http.Response, map[string]any) {
			return e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "web", webSecret)
		}
		resp, t2 := refresh(tok.RefreshToken)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %v", resp.StatusCode, t2)
		}
		rt2, _ := t2["refresh_token"].(string)
		if rt2 == "" || rt2 == tok.RefreshToken {
			t.Fatalf("refresh did not rotate: %v", t2)
		}
		if idt, ok := t2["id_token"].(string); !ok {
			t.Error("refresh response has no id_token")
		} else if _, err := r.verifier.Verify(context.Background(), idt); err != nil {
			t.Errorf("refreshed id token: %v", err)
		}
		_ = a
		at2 := t2["access_token"].(string)
		if e.introspect(at2)["active"] != true {
			t.Fatal("new access token inactive")
		}
		if e.introspect(tok.AccessToken)["active"] != false {
			t.Error("the first access token is still active after rotation")
		}

		// Reuse of the rotated token: invalid_grant, and the family dies.
		resp, out := refresh(tok.RefreshToken)
		if resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("reuse: %d %v", resp.StatusCode, out)
		}
		if e.introspect(at2)["active"] != false {
			t.Error("access token of the family still active after reuse")
		}
		if resp, out := refresh(rt2); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("refresh token of the family still works after reuse: %d %v", resp.StatusCode, out)
		}
	})
}

// TestConcurrentRefresh: two refreshes with one token, at once: exactly
// one succeeds.
func TestConcurrentRefresh(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		for round := 0; round < 5; round++ {
			tok, _ := e.signedIn(e.webRP(), e.browser())
			const n = 4
			var wg sync.WaitGroup
			codes := make([]int, n)
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					resp, _ := e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", webSecret)
					codes[i] = resp.StatusCode
				}()
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, c := range codes {
				if c == http.StatusOK {
					ok++
				} else if c != http.StatusBadRequest {
					t.Errorf("round %d: unexpected status %d", round, c)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d of %d concurrent refreshes succeeded, want exactly 1 (%v)", round, ok, n, codes)
			}
		}
	})
}

// TestCodeReuse: a code works once; the second use fails with
// invalid_grant and revokes the tokens of the first (RFC 6749 §4.1.2).
func TestCodeReuse(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP()
		a := newAuthRequest()
		code := e.code(e.browser().signIn(r.authURL(a), "alice", alicePass), a)
		tok, err := r.exchange(code, a)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.exchange(code, a)
		var re *oauth2.RetrieveError
		if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Fatalf("second exchange: %v", err)
		}
		if e.introspect(tok.AccessToken)["active"] != false {
			t.Error("access token from the first exchange still active")
		}
		resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", webSecret)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("refresh token from the first exchange still works: %v", out)
		}
	})
}

// TestConcurrentCodeExchange: of two exchanges of one code at once,
// exactly one gets tokens.
func TestConcurrentCodeExchange(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP()
		for round := 0; round < 5; round++ {
			a := newAuthRequest()
			code := e.code(e.browser().signIn(r.authURL(a), "alice", alicePass), a)
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i := range errs {
				wg.Add(1)
				go func() { defer wg.Done(); _, errs[i] = r.exchange(code, a) }()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d exchanges succeeded, want 1: %v", round, ok, errs)
			}
		}
	})
}
