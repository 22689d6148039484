package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// redeem sends a code to the token endpoint as the web client, with the
// given verifier ("" sends none), and returns the status and JSON answer.
func (e *env) redeem(clientID, secret, redirect, code, verifier string) (int, map[string]any) {
	e.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	resp, out := e.postForm("/oauth2/token", form, clientID, secret)
	return resp.StatusCode, out
}

// webCode runs the browser part of the code flow for alice with the web
// client and returns a fresh code and the request that holds its verifier.
func (e *env) webCode() (string, *authRequest) {
	e.t.Helper()
	a := newAuthRequest()
	return e.code(e.browser().signIn(e.webRP().authURL(a), "alice", alicePass), a), a
}

// TestSecurityPKCENoVerifierRetry: "a code issued with a challenge can only
// ever be redeemed with its verifier". A request without code_verifier
// fails, and so does an identical second one; the failure burns the code,
// so even the right verifier cannot redeem it afterwards.
func TestSecurityPKCENoVerifierRetry(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		code, a := e.webCode()
		for i := range 2 {
			if status, out := e.redeem("web", webSecret, webRedirect, code, ""); status != http.StatusBadRequest || out["access_token"] != nil {
				t.Fatalf("attempt %d without verifier: status %d %v", i+1, status, out)
			}
		}
		if status, out := e.redeem("web", webSecret, webRedirect, code, a.verifier); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("after a failed PKCE check the code still redeems: status %d %v", status, out)
		}
	})
}

// TestSecurityPKCEWrongVerifierBurnsCode: "a failed verification burns the
// code". After a wrong verifier, neither a request without verifier nor the
// right verifier yields tokens.
func TestSecurityPKCEWrongVerifierBurnsCode(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		code, a := e.webCode()
		if status, out := e.redeem("web", webSecret, webRedirect, code, oauth2.GenerateVerifier()); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("wrong verifier: status %d %v", status, out)
		}
		for _, v := range []string{"", a.verifier} {
			if status, out := e.redeem("web", webSecret, webRedirect, code, v); status != http.StatusBadRequest || out["access_token"] != nil {
				t.Fatalf("retry with verifier %q: status %d %v", v, status, out)
			}
		}
	})
}

// TestSecurityPKCEOptionalClientStillBound: "a code issued with a challenge
// can only ever be redeemed with its verifier", also for a legacy client
// allowed to skip PKCE: once it sent a challenge, the code is bound to it.
func TestSecurityPKCEOptionalClientStillBound(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{
			ID: "legacy", Name: "Legacy", RedirectURIs: []string{"http://legacy.localhost/cb"},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}, SkipConsent: true,
			AllowPlainOAuth: true,
		}, webSecret)
		a := newAuthRequest()
		code := e.code(e.browser().signIn(e.rp("legacy", webSecret, "http://legacy.localhost/cb", "openid").authURL(a), "alice", alicePass), a)
		for i := range 2 {
			if status, out := e.redeem("legacy", webSecret, "http://legacy.localhost/cb", code, ""); status != http.StatusBadRequest || out["access_token"] != nil {
				t.Fatalf("attempt %d without verifier: status %d %v", i+1, status, out)
			}
		}
	})
}

// TestSecurityPKCERequiredWhateverStored: "with PKCE required a request
// without verifier fails whatever the stored state": even if the code's
// PKCE record is gone, a client that must use PKCE gets no tokens without
// a verifier.
func TestSecurityPKCERequiredWhateverStored(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		code, _ := e.webCode()
		sig := code[strings.LastIndex(code, ".")+1:]
		if err := e.store.Tokens.Delete(context.Background(), storage.KindPKCE, sig); err != nil {
			t.Fatalf("drop the PKCE record: %v", err)
		}
		if status, out := e.redeem("web", webSecret, webRedirect, code, ""); status != http.StatusBadRequest || out["access_token"] != nil {
			t.Fatalf("without verifier and PKCE record: status %d %v", status, out)
		}
	})
}
