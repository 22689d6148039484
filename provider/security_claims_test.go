package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// claimsAttack asks by name for claims the scopes do not carry.
const claimsAttack = `{"id_token":{"email":null,"roles":null,"name":null},"userinfo":{"email":null,"name":null,"roles":null}}`

// emailClaims asks by name for email, in the ID token and at userinfo.
const emailClaims = `{"id_token":{"email":null},"userinfo":{"email":{"essential":true}}}`

// memberClaimNames are the claims that describe the member and are carried
// by a scope (profile, email, roles).
var memberClaimNames = []string{"name", "preferred_username", "updated_at", "email", "email_verified", "roles"}

// userinfoClaims fetches the userinfo claims with the bearer header.
func (e *env) userinfoClaims(accessToken string) map[string]any {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp := must(testClient.Do(req))
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("userinfo: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		e.t.Fatalf("userinfo: %v", err)
	}
	return out
}

// consentScopes returns the scope names a consent page lists.
func consentScopes(pg *page) []string {
	var out []string
	var walk func(n *htmlNode, in bool)
	walk = func(n *htmlNode, in bool) {
		if n.Type == html.ElementNode && n.Data == "ul" && attr(n, "id") == "scopes" {
			in = true
		}
		if in && n.Data == "code" && n.FirstChild != nil {
			out = append(out, n.FirstChild.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(pg.doc, false)
	return out
}

// consentAddedScopes returns the scopes a consent page marks as asked for
// by name in the claims parameter.
func consentAddedScopes(pg *page) []string {
	var out []string
	var walk func(n *htmlNode)
	walk = func(n *htmlNode) {
		if n.Type == html.ElementNode && n.Data == "li" && attr(n, "data-source") == "claims" {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Data == "code" && c.FirstChild != nil {
					out = append(out, c.FirstChild.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(pg.doc)
	return out
}

// releasedMemberClaims lists which member claims a claim set carries.
func releasedMemberClaims(claims map[string]any) []string {
	var out []string
	for _, n := range memberClaimNames {
		if _, ok := claims[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// TestSecurityClaimsParameterNeedsAllowedScope: "A claim is released only
// when the scope that carries it is allowed for the client and granted by
// the member." A client registered for openid alone asks for email, name
// and roles through the claims parameter (OpenID Connect Core §5.5); the
// consent page lists only openid and neither the ID token nor userinfo
// carries any of them.
func TestSecurityClaimsParameterNeedsAllowedScope(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		const redirect = "http://narrow.localhost/callback"
		e.addClient(idp.Client{
			ID: "narrow", Name: "Narrow App", RedirectURIs: []string{redirect},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"},
		}, webSecret)
		r := e.rp("narrow", webSecret, redirect, "openid")
		a := newAuthRequest(oauth2.SetAuthURLParam("claims", claimsAttack))

		b := e.browser()
		pg := b.get(r.authURL(a))
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("want the consent page, got status %d: %s", pg.resp.StatusCode, pg.body)
		}
		if got := consentScopes(pg); strings.Join(got, " ") != "openid" {
			t.Errorf("consent page lists %q, want only openid", got)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		tok, err := r.exchange(e.code(pg.redirect(t), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		_, idClaims := r.idToken(tok, a.nonce)
		if got := releasedMemberClaims(idClaims); len(got) > 0 {
			t.Errorf("ID token released %v without their scopes: %v", got, idClaims)
		}
		if got := releasedMemberClaims(e.userinfoClaims(tok.AccessToken)); len(got) > 0 {
			t.Errorf("userinfo released %v without their scopes", got)
		}
	})
}

// TestSecurityClaimsParameterAsksForCarryingScope: "A claim is released
// only when the scope that carries it is allowed for the client and
// granted by the member (consent page shows what the claims request adds)."
// A client registered for email and profile sends scope=openid with a
// claims request for email: the consent page lists email as asked for by
// name, approval grants the email scope, and email is released in the ID
// token and at userinfo while profile, never asked for, stays closed.
func TestSecurityClaimsParameterAsksForCarryingScope(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP("openid")
		a := newAuthRequest(oauth2.SetAuthURLParam("claims", emailClaims))
		b := e.browser()
		pg := b.get(r.authURL(a))
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("want the consent page, got status %d: %s", pg.resp.StatusCode, pg.body)
		}
		if got := consentScopes(pg); strings.Join(got, " ") != "openid email" {
			t.Errorf("consent page lists %q, want openid email", got)
		}
		if got := consentAddedScopes(pg); strings.Join(got, " ") != "email" {
			t.Errorf("consent page marks %q as asked for by name, want email", got)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		tok, err := r.exchange(e.code(pg.redirect(t), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if got := tok.Extra("scope"); got != "openid email" {
			t.Errorf("access token scope %q, want the granted openid email", got)
		}
		_, idClaims := r.idToken(tok, a.nonce)
		ui := e.userinfoClaims(tok.AccessToken)
		for where, claims := range map[string]map[string]any{"ID token": idClaims, "userinfo": ui} {
			if got := releasedMemberClaims(claims); strings.Join(got, " ") != "email email_verified" {
				t.Errorf("%s released %v, want only the email scope's claims", where, got)
			}
			if claims["email"] != aliceEmail {
				t.Errorf("%s email = %v, want %s", where, claims["email"], aliceEmail)
			}
		}
	})
}

// TestSecurityClaimsParameterRemembersConsentByScope: "Remembered consent
// covers it only if it covered those scopes." The member consented to
// openid alone; the same client's claims request for email shows the
// consent page again, and with prompt=none answers consent_required.
// Once email is granted, the remembered consent covers the request.
func TestSecurityClaimsParameterRemembersConsentByScope(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP("openid")
		b := e.browser()
		cb := b.signIn(r.authURL(newAuthRequest()), "alice", alicePass)
		if cb.Query().Get("code") == "" {
			t.Fatalf("first sign-in: %v", cb)
		}
		claims := oauth2.SetAuthURLParam("claims", emailClaims)
		if got := r.authError(b, claims, param("prompt", "none")); got != "consent_required" {
			t.Errorf("prompt=none with a claims request beyond the remembered consent: %q, want consent_required", got)
		}
		a := newAuthRequest(claims)
		pg := b.get(r.authURL(a))
		if !pg.isConsent() {
			t.Fatalf("remembered openid consent covered email asked for by name: status %d", pg.resp.StatusCode)
		}
		if got := consentAddedScopes(pg); strings.Join(got, " ") != "email" {
			t.Errorf("consent page marks %q as asked for by name, want email", got)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		if _, err := r.exchange(e.code(pg.redirect(t), a), a); err != nil {
			t.Fatalf("exchange: %v", err)
		}
		a = newAuthRequest(claims, param("prompt", "none"))
		pg = b.get(r.authURL(a))
		tok, err := r.exchange(e.code(pg.redirect(t), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if _, c := r.idToken(tok, a.nonce); c["email"] != aliceEmail {
			t.Errorf("remembered email consent: ID token %v lacks email", c)
		}
	})
}

// TestSecurityClaimsParameterSkipConsent: a first-party client that skips
// consent gets the scopes its claims request adds, within its
// registration, without a page; claims of scopes it is not registered for
// (roles) are not answered.
func TestSecurityClaimsParameterSkipConsent(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.rp("web2", webSecret, web2Redirect, "openid")
		a := newAuthRequest(oauth2.SetAuthURLParam("claims", `{"id_token":{"email":null,"roles":null}}`))
		tok, err := r.exchange(e.code(e.browser().signIn(r.authURL(a), "alice", alicePass), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		_, c := r.idToken(tok, a.nonce)
		if got := releasedMemberClaims(c); strings.Join(got, " ") != "email email_verified" {
			t.Errorf("ID token released %v, want the email scope's claims only", got)
		}
	})
}

// TestSecurityClaimsFollowClientScopes: "A claim is released only when the
// scope that carries it is allowed for the client." A scope taken away from
// the client's registration stops releasing its claims at userinfo, even
// for an access token granted before.
func TestSecurityClaimsFollowClientScopes(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		var ahead atomic.Int64 // how far the provider's clock runs ahead
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
		})
		tok, _ := e.signedIn(e.webRP(), e.browser())
		if e.userinfoClaims(tok.AccessToken)["email"] != aliceEmail {
			t.Fatal("userinfo lacks email before the change")
		}
		ctx := context.Background()
		c := must(e.store.Clients.ByID(ctx, "web"))
		c.Scopes = []string{"openid", "profile", "offline_access"}
		if err := e.store.Clients.Update(ctx, c); err != nil {
			t.Fatal(err)
		}
		ahead.Store(int64(time.Minute)) // past the client cache
		ui := e.userinfoClaims(tok.AccessToken)
		for _, n := range []string{"email", "email_verified", "roles"} {
			if _, ok := ui[n]; ok {
				t.Errorf("userinfo released %s after its scope was withdrawn from the client: %v", n, ui)
			}
		}
		if ui["name"] != "Alice Example" {
			t.Errorf("userinfo lost the still-allowed profile claims: %v", ui)
		}
	})
}

// TestSecurityClaimsParameterMalformed: "Bad input gets a clear,
// spec-shaped error and changes nothing." A claims parameter that is not
// UTF-8 JSON of the §5.5 form is refused with invalid_request before the
// member is asked to sign in.
func TestSecurityClaimsParameterMalformed(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP("openid")
		for _, claims := range []string{"{\"id_token\":{\"\x8e\":{}}}", `{"userinfo":["email"]}`, `not json`} {
			a := newAuthRequest(oauth2.SetAuthURLParam("claims", claims))
			pg := e.browser().get(r.authURL(a))
			if pg.isLogin() {
				t.Errorf("claims %q: the login page was shown", claims)
				continue
			}
			q := pg.redirect(t).Query()
			if q.Get("error") != "invalid_request" || q.Get("state") != a.state {
				t.Errorf("claims %q: redirected with %v, want invalid_request", claims, q)
			}
		}
	})
}
