package provider_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

const webLogoutRedirect = "http://rp.localhost/"

// endSession returns the end_session_endpoint the discovery document
// publishes, as a relying party finds it.
func (r *rp) endSession() string {
	r.e.t.Helper()
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := r.provider.Claims(&meta); err != nil || meta.EndSession == "" {
		r.e.t.Fatalf("discovery has no end_session_endpoint: %v", err)
	}
	return meta.EndSession
}

// logout sends the browser to the end_session_endpoint with q.
func (b *browser) logout(r *rp, q url.Values) *page {
	b.t.Helper()
	return b.get(r.endSession() + "?" + q.Encode())
}

func idTokenOf(t testing.TB, tok *oauth2.Token) string {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("token response has no id_token")
	}
	return raw
}

// sessionGone reports whether the provider session sid has ended.
func (e *env) sessionGone(sid any) bool {
	e.t.Helper()
	_, err := e.store.Sessions.ByID(context.Background(), sid.(string))
	if err != nil && !errors.Is(err, idp.ErrNotFound) {
		e.t.Fatal(err)
	}
	return err != nil
}

// refresh redeems a refresh token for the web client.
func (e *env) refresh(rt string) (*http.Response, map[string]any) {
	e.t.Helper()
	return e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "web", webSecret)
}

// TestLogoutWithHint: a valid id_token_hint ends the session without a
// question and sends the browser to the registered post-logout URI with
// the state (RP-Initiated Logout §2, §3); the refresh tokens of every
// client in the session die with it.
func TestLogoutWithHint(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		web := e.webRP()
		b := e.browser()
		tok, claims := web.signInAs(b, "alice", alicePass)
		tok2, _ := e.web2RP().silent(b)

		pg := b.logout(web, url.Values{"id_token_hint": {idTokenOf(t, tok)}, "post_logout_redirect_uri": {webLogoutRedirect}, "state": {"st-123"}})
		if pg.resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: status %d, want 303: %s", pg.resp.StatusCode, pg.body)
		}
		loc := pg.redirect(t)
		if got := loc.Scheme + "://" + loc.Host + loc.Path; got != webLogoutRedirect || loc.Query().Get("state") != "st-123" || len(loc.Query()) != 1 {
			t.Errorf("redirected to %s, want %s?state=st-123", loc, webLogoutRedirect)
		}
		if !e.sessionGone(claims["sid"]) {
			t.Error("the session is still stored after logout")
		}
		if pg := b.get(web.authURL(newAuthRequest())); !pg.isLogin() {
			t.Errorf("after logout: want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		if resp, out := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("refresh token of the ended session: %d %v, want invalid_grant", resp.StatusCode, out)
		}
		// The other client of the session loses its refresh token too.
		resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2.RefreshToken}}, "web2", webSecret)
		if resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("web2's refresh token of the ended session: %d %v, want invalid_grant", resp.StatusCode, out)
		}
	})
}

// TestLogoutUntrustedRedirect: the browser is sent back to the client only
// when the post-logout URI is registered exactly and the hint, if any, is
// this provider's ID token for that client. Otherwise it stays on the
// provider's page. A hint that does not verify must not sign anyone out
// without a question.
func TestLogoutUntrustedRedirect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t))
	foreignKey := must(rsa.GenerateKey(rand.Reader, 2048))

	tests := []struct {
		name string
		// query builds the request from the web and web2 ID tokens.
		query        func(t testing.TB, webIDT, web2IDT string) url.Values
		wantRedirect bool
		wantAsk      bool // hint rejected: confirmation page, session kept
		post         bool // form-encoded POST instead of GET (§2 allows both)
	}{
		{name: "registered (control)", query: func(_ testing.TB, w, _ string) url.Values { return hintQuery(w, webLogoutRedirect) }, wantRedirect: true},
		{name: "registered, by POST", query: func(_ testing.TB, w, _ string) url.Values { return hintQuery(w, webLogoutRedirect) }, wantRedirect: true, post: true},
		{name: "unregistered URI", query: func(_ testing.TB, w, _ string) url.Values { return hintQuery(w, "http://evil.localhost/") }},
		{name: "registered URI plus query", query: func(_ testing.TB, w, _ string) url.Values { return hintQuery(w, webLogoutRedirect+"?x=1") }},
		{name: "tampered hint", query: func(_ testing.TB, w, _ string) url.Values { return hintQuery(tamper(w), webLogoutRedirect) }, wantAsk: true},
		{name: "hint signed by another key", query: func(t testing.TB, w, _ string) url.Values {
			return hintQuery(resign(t, w, foreignKey), webLogoutRedirect)
		}, wantAsk: true},
		{name: "hint for another client", query: func(_ testing.TB, _, w2 string) url.Values {
			q := hintQuery(w2, webLogoutRedirect)
			q.Set("client_id", "web")
			return q
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.in(t)
			web, web2 := e.webRP(), e.web2RP()
			b := e.browser()
			tok, claims := web.signInAs(b, "alice", alicePass)
			tok2, _ := web2.silent(b)
			q := tt.query(t, idTokenOf(t, tok), idTokenOf(t, tok2))
			var pg *page
			if tt.post {
				req, _ := http.NewRequest(http.MethodPost, web.endSession(), strings.NewReader(q.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				pg = b.do(req)
			} else {
				pg = b.logout(web, q)
			}
			if tt.wantRedirect {
				if loc := pg.redirect(t); !strings.HasPrefix(loc.String(), webLogoutRedirect) {
					t.Errorf("redirected to %s", loc)
				}
				return
			}
			if pg.resp.StatusCode != http.StatusOK || pg.doc == nil || pg.resp.Header.Get("Location") != "" {
				t.Fatalf("want the provider's own page, got %d (Location %q): %s", pg.resp.StatusCode, pg.resp.Header.Get("Location"), pg.body)
			}
			if tt.wantAsk {
				if findInput(pg, "logout_flow") == nil {
					t.Errorf("rejected hint: want the confirmation form, got %s", pg.body)
				}
				if e.sessionGone(claims["sid"]) {
					t.Error("a rejected hint ended the session without asking")
				}
			}
		})
	}
}

// in returns the env for a subtest, so its helpers fail the subtest.
func (e *env) in(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}

func hintQuery(hint, redirect string) url.Values {
	return url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {redirect}, "state": {"st-123"}}
}

// tamper changes one character in the middle of a JWT's signature.
func tamper(jwt string) string {
	i := strings.LastIndexByte(jwt, '.') + (len(jwt)-strings.LastIndexByte(jwt, '.'))/2
	c := byte('A')
	if jwt[i] == 'A' {
		c = 'B'
	}
	return jwt[:i] + string(c) + jwt[i+1:]
}

// resign signs the claims and kid of jwt again with key, as a forger with
// another key would.
func resign(t testing.TB, jwt string, key *rsa.PrivateKey) string {
	t.Helper()
	h, claims := jwtParts(t, jwt)
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", h["kid"])
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(must(json.Marshal(claims)))
	if err != nil {
		t.Fatal(err)
	}
	return must(jws.CompactSerialize())
}

// TestLogoutConfirmation: without a hint the provider asks first (a bare
// link must not sign anyone out); "no" changes nothing, "yes" ends the
// session and then honours a registered post-logout URI of the named
// client. The form works only in the browser it was shown in.
func TestLogoutConfirmation(t *testing.T) {
	t.Parallel()
	sqliteOnly(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		web := e.webRP()
		b := e.browser()
		_, claims := web.signInAs(b, "alice", alicePass)
		q := url.Values{"client_id": {"web"}, "post_logout_redirect_uri": {webLogoutRedirect}, "state": {"st-9"}}

		ask := b.logout(web, q)
		if ask.resp.StatusCode != http.StatusOK || findInput(ask, "logout_flow") == nil {
			t.Fatalf("no hint: want the confirmation page, got %d: %s", ask.resp.StatusCode, ask.body)
		}
		if e.sessionGone(claims["sid"]) {
			t.Fatal("the session ended before the member confirmed")
		}
		if pg := e.browser().submit(ask, nil, "logout", "yes"); pg.resp.StatusCode != http.StatusForbidden || e.sessionGone(claims["sid"]) {
			t.Errorf("confirmation from another browser: status %d, session gone %v; want 403 and no change", pg.resp.StatusCode, e.sessionGone(claims["sid"]))
		}

		if pg := b.submit(ask, nil, "logout", "no"); pg.resp.StatusCode != http.StatusOK || pg.resp.Header.Get("Location") != "" {
			t.Errorf("answer no: %d %s", pg.resp.StatusCode, pg.body)
		}
		if e.sessionGone(claims["sid"]) {
			t.Fatal("answer no ended the session")
		}
		web.silent(b)

		loc := b.submit(b.logout(web, q), nil, "logout", "yes").redirect(t)
		if got := loc.Scheme + "://" + loc.Host + loc.Path; got != webLogoutRedirect || loc.Query().Get("state") != "st-9" {
			t.Errorf("answer yes: redirected to %s", loc)
		}
		if !e.sessionGone(claims["sid"]) {
			t.Error("answer yes left the session")
		}
		if pg := b.get(web.authURL(newAuthRequest())); !pg.isLogin() {
			t.Errorf("after logout: want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
	})
}

// TestLogoutKeepsRefreshTokens: with KeepRefreshTokensOnLogout, offline
// access outlives the browser session.
func TestLogoutKeepsRefreshTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t), func(c *provider.Config) { c.KeepRefreshTokensOnLogout = true })
	web := e.webRP()
	b := e.browser()
	tok, claims := web.signInAs(b, "alice", alicePass)
	b.logout(web, hintQuery(idTokenOf(t, tok), webLogoutRedirect)).redirect(t)
	if !e.sessionGone(claims["sid"]) {
		t.Fatal("the session is still stored after logout")
	}
	if resp, out := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusOK || out["refresh_token"] == nil {
		t.Errorf("refresh after logout: %d %v, want new tokens", resp.StatusCode, out)
	}
}

// TestLogoutExpiredHint: an ID token past its exp still identifies the
// session and client (RP-Initiated Logout 1.0 §2: the OP should accept it),
// since relying parties keep the token for logout long after it expired.
func TestLogoutExpiredHint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t), func(c *provider.Config) { c.IDTokenLifespan = time.Second })
	web := e.webRP()
	b := e.browser()
	a := newAuthRequest()
	tok, err := web.exchange(e.code(b.signIn(web.authURL(a), "alice", alicePass), a), a)
	if err != nil {
		t.Fatal(err)
	}
	hint := idTokenOf(t, tok)
	_, claims := jwtParts(t, hint)
	time.Sleep(time.Until(time.Unix(int64(claims["exp"].(float64))+1, 0).Add(50 * time.Millisecond)))
	if _, err := web.verifier.Verify(context.Background(), hint); err == nil {
		t.Fatal("the hint has not expired yet")
	}

	loc := b.logout(web, hintQuery(hint, webLogoutRedirect)).redirect(t)
	if !strings.HasPrefix(loc.String(), webLogoutRedirect) || loc.Query().Get("state") != "st-123" {
		t.Errorf("redirected to %s", loc)
	}
	if !e.sessionGone(claims["sid"]) {
		t.Error("an expired hint did not end its session")
	}
}

const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// addBackchannelClient registers a first-party client whose back-channel
// logout URI is receiver, and returns its relying party.
func (e *env) addBackchannelClient(id, receiver string) *rp {
	e.t.Helper()
	redirect := "http://" + id + ".localhost/callback"
	e.addClient(idp.Client{
		ID: id, Name: id, RedirectURIs: []string{redirect}, SkipConsent: true,
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"},
		BackchannelLogoutURI: receiver, SecretHash: webSecretHash(),
	}, "")
	return e.rp(id, webSecret, redirect, "openid", "profile")
}

// webSecretHash is webSecret hashed once: the KDF is slow on purpose.
var webSecretHash = sync.OnceValue(func() string { return must(clients.HashSecret(webSecret)) })

// logoutTokens is a receiver of back-channel logout requests that hands
// each logout_token to the test.
func logoutTokens(t *testing.T, status func(n int) int) (string, <-chan string) {
	t.Helper()
	got := make(chan string, 8)
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("back-channel request: %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		mu.Lock()
		n++
		code := status(n)
		mu.Unlock()
		got <- r.PostFormValue("logout_token")
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/backchannel", got
}

func receive(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("no back-channel logout request arrived")
		return ""
	}
}

// TestBackchannelLogout: ending a session sends every client that took
// part, and registered a URI, a logout token (Back-Channel Logout 1.0
// §2.4, §2.5) that verifies through the JWKS and names the session.
func TestBackchannelLogout(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		uri, tokens := logoutTokens(t, func(int) int { return http.StatusOK })
		bc1, bc2 := e.addBackchannelClient("bc1", uri), e.addBackchannelClient("bc2", uri)
		b := e.browser()
		tok, idt := bc1.signInAs(b, "alice", alicePass)
		bc2.silent(b)

		b.logout(bc1, url.Values{"id_token_hint": {idTokenOf(t, tok)}})
		keys := oidc.NewRemoteKeySet(context.Background(), e.issuer+"/.well-known/jwks.json")
		auds, jtis := map[string]bool{}, map[string]bool{}
		for range 2 {
			lt := receive(t, tokens)
			payload, err := keys.VerifySignature(context.Background(), lt)
			if err != nil {
				t.Fatalf("logout token does not verify through the JWKS: %v", err)
			}
			var c map[string]any
			if err := json.Unmarshal(payload, &c); err != nil {
				t.Fatal(err)
			}
			if h, _ := jwtParts(t, lt); h["typ"] != "logout+jwt" || h["alg"] != "RS256" {
				t.Errorf("logout token header = %v", h)
			}
			aud := claimList(c["aud"])
			if len(aud) != 1 {
				t.Fatalf("aud = %v, want one client", c["aud"])
			}
			auds[aud[0]] = true
			jti, _ := c["jti"].(string)
			if jti == "" {
				t.Errorf("logout token has no jti: %v", c)
			}
			jtis[jti] = true
			iat, _ := c["iat"].(float64)
			if c["iss"] != e.issuer || c["sid"] != idt["sid"] || c["sub"] != idt["sub"] || time.Since(time.Unix(int64(iat), 0)).Abs() > time.Minute {
				t.Errorf("logout token claims = %v; want iss %s, sid %v, sub %v, iat now", c, e.issuer, idt["sid"], idt["sub"])
			}
			if ev, _ := c["events"].(map[string]any); ev == nil || ev[backchannelEvent] == nil {
				t.Errorf("events = %v, want %s", c["events"], backchannelEvent)
			}
			if _, ok := c["nonce"]; ok {
				t.Errorf("logout token carries a nonce: %v", c)
			}
		}
		if !auds["bc1"] || !auds["bc2"] || len(jtis) != 2 {
			t.Errorf("logout tokens went to %v with jtis %v; want bc1 and bc2, distinct jtis", auds, jtis)
		}
	})
}

func claimList(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// TestBackchannelDelivery: deliveries are retried and run apart from the
// logout that caused them.
func TestBackchannelDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t))
	t.Run("retry", func(t *testing.T) { testBackchannelRetry(t, e.in(t)) })
	t.Run("logout does not wait", func(t *testing.T) { testBackchannelDoesNotBlockLogout(t, e.in(t)) })
}

// testBackchannelRetry: a receiver that fails gets a logout token for the
// same session again (minted afresh, so with a new jti and iat).
func testBackchannelRetry(t *testing.T, e *env) {
	uri, tokens := logoutTokens(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	bc := e.addBackchannelClient("bc", uri)
	b := e.browser()
	tok, _ := bc.signInAs(b, "alice", alicePass)
	b.logout(bc, url.Values{"id_token_hint": {idTokenOf(t, tok)}})
	first, second := receive(t, tokens), receive(t, tokens)
	_, c1 := jwtParts(t, first)
	_, c2 := jwtParts(t, second)
	if c1["sid"] == nil || c1["sid"] != c2["sid"] || c1["sub"] != c2["sub"] || claimList(c2["aud"])[0] != "bc" {
		t.Errorf("retry sent %v after %v; want a token for the same session and client", c2, c1)
	}
}

// testBackchannelDoesNotBlockLogout: the member's logout is answered while
// a client's receiver still hangs. The receiver is released only after the
// answer arrived; had the provider waited for it, its own request timeout
// would have cancelled the receiver's request before any answer.
func testBackchannelDoesNotBlockLogout(t *testing.T, e *env) {
	release := make(chan struct{})
	outcome := make(chan string, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o string
		select {
		case <-release:
			o = "released"
		case <-r.Context().Done():
			o = "cancelled by the provider"
		case <-time.After(10 * time.Second):
			o = "timed out"
		}
		select {
		case outcome <- o:
		default:
		}
	}))
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(srv.Close)
	t.Cleanup(free)

	bc := e.addBackchannelClient("bc-slow", srv.URL+"/backchannel")
	b := e.browser()
	tok, claims := bc.signInAs(b, "alice", alicePass)
	logoutURL := bc.endSession() + "?" + url.Values{"id_token_hint": {idTokenOf(t, tok)}}.Encode()
	answered := make(chan error, 1)
	go func() {
		resp, err := b.client.Get(logoutURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		answered <- err
	}()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatalf("logout: %v", err)
		}
	case o := <-outcome:
		t.Fatalf("the receiver finished (%s) before the logout was answered", o)
	}
	if !e.sessionGone(claims["sid"]) {
		t.Error("the session is still stored after logout")
	}
	free()
	if got := <-outcome; got != "released" {
		t.Errorf("receiver: %s, want released after the logout was answered", got)
	}
}
