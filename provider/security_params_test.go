package provider_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idp/idp/storage"
)

// webAuthorize is a valid authorization request of the web client, as a
// query to change before sending.
func webAuthorize() url.Values {
	return url.Values{
		"client_id": {"web"}, "redirect_uri": {webRedirect}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"state-12345678"}, "nonce": {"nonce-12345678"},
		"code_challenge": {s256("verifier-verifier-verifier-verifier-verifier")}, "code_challenge_method": {"S256"},
	}
}

// unsignedObject is a request object (OpenID Connect Core §6.1) with
// alg none carrying the given claims.
func unsignedObject(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + "."
}

// wantPage fails unless the answer is an error page naming code: no
// redirect to anywhere.
func wantPage(t *testing.T, pg *page, code string) {
	t.Helper()
	if pg.resp.StatusCode < 400 || pg.resp.Header.Get("Location") != "" {
		t.Fatalf("status %d, Location %q: want an error page", pg.resp.StatusCode, pg.resp.Header.Get("Location"))
	}
	if code != "" && !strings.Contains(pg.body, code) {
		t.Errorf("error page does not name %s: %s", code, pg.body)
	}
}

// wantRedirectError fails unless the answer sends the browser back to the
// web client with the error code and the provider's iss.
func wantRedirectError(t *testing.T, e *env, pg *page, code string) url.Values {
	t.Helper()
	cb := pg.redirect(t)
	if !strings.HasPrefix(cb.String(), webRedirect) {
		t.Fatalf("redirected to %s, not to the client", cb)
	}
	q := cb.Query()
	if q.Get("error") != code || q.Get("iss") != e.issuer || q.Get("code") != "" {
		t.Fatalf("callback %s: want error %s with iss and no code", cb, code)
	}
	return q
}

// TestSecurityRequestObjectStateInside: a request object is refused with
// "request_not_supported" (OpenID Connect Core §6.1, §3.1.2.6) even when
// the state travels only inside it, and is sent back to the client.
func TestSecurityRequestObjectStateInside(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		q := webAuthorize()
		q.Del("state")
		q.Set("request", unsignedObject(`{"state":"state-in-object","client_id":"web"}`))
		got := wantRedirectError(t, e, e.browser().get(e.issuer+"/oauth2/authorize?"+q.Encode()), "request_not_supported")
		if got.Has("state") && got.Get("state") != "" {
			t.Errorf("state %q invented", got.Get("state"))
		}
	})
}

// TestSecurityRequestURIStateInside: a request_uri is refused with
// "request_uri_not_supported" even when the state is only behind it.
func TestSecurityRequestURIStateInside(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		q := webAuthorize()
		q.Del("state")
		q.Set("request_uri", "https://rp.example/request.jwt")
		wantRedirectError(t, e, e.browser().get(e.issuer+"/oauth2/authorize?"+q.Encode()), "request_uri_not_supported")
	})
}

// TestSecurityRequestObjectUntrustedRedirect: when the redirect URI cannot
// be trusted, the refusal of a request object is a page, never a redirect
// (RFC 6749 §4.1.2.1).
func TestSecurityRequestObjectUntrustedRedirect(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		q := webAuthorize()
		q.Set("redirect_uri", "http://evil.localhost/callback")
		q.Set("request", unsignedObject(`{"state":"x"}`))
		wantPage(t, e.browser().get(e.issuer+"/oauth2/authorize?"+q.Encode()), "request_not_supported")
	})
}

// TestSecurityRepeatedAuthorizeParameter: "Request and response parameters
// MUST NOT be included more than once" (RFC 6749 §3.1): a repeated
// parameter is invalid_request; a repeated client_id or redirect_uri leaves
// no trustworthy redirect, so it gets a page.
func TestSecurityRepeatedAuthorizeParameter(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		for _, name := range []string{"scope", "state", "code_challenge", "response_type", "nonce", "prompt"} {
			q := webAuthorize()
			q.Add(name, "openid")
			q.Add(name, "openid")
			wantRedirectError(t, e, b.get(e.issuer+"/oauth2/authorize?"+q.Encode()), "invalid_request")
		}
		for _, name := range []string{"client_id", "redirect_uri"} {
			q := webAuthorize()
			q.Add(name, q.Get(name))
			wantPage(t, b.get(e.issuer+"/oauth2/authorize?"+q.Encode()), "invalid_request")
		}
		// The same parameter in the query and the body of a POST is repeated too.
		q := webAuthorize()
		req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth2/authorize?scope=openid", strings.NewReader(q.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		wantRedirectError(t, e, b.do(req), "invalid_request")
	})
}

// TestSecurityRepeatedTokenParameter: a repeated parameter at the token
// endpoint is invalid_request (RFC 6749 §3.2) and changes nothing: the code
// still redeems once with a well-formed request.
func TestSecurityRepeatedTokenParameter(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		code, a := e.webCode()
		good := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {a.verifier}}
		for _, name := range []string{"grant_type", "code", "redirect_uri", "code_verifier"} {
			form := url.Values{}
			for k, v := range good {
				form[k] = append([]string(nil), v...)
			}
			form.Add(name, form.Get(name))
			resp, out := e.postForm("/oauth2/token", form, "web", webSecret)
			if resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_request" || out["access_token"] != nil {
				t.Fatalf("repeated %s: status %d %v", name, resp.StatusCode, out["error"])
			}
		}
		if resp, out := e.postForm("/oauth2/token", good, "web", webSecret); resp.StatusCode != http.StatusOK {
			t.Fatalf("the refused requests changed the code: status %d %v", resp.StatusCode, out["error"])
		}
	})
}

// TestSecurityPromptNoneCombined: "If this parameter contains none with any
// other value, an error is returned" (OpenID Connect Core §3.1.2.1), before
// any sign-in page.
func TestSecurityPromptNoneCombined(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		for _, prompt := range []string{"none login", "consent none", "none select_account"} {
			q := webAuthorize()
			q.Set("prompt", prompt)
			wantRedirectError(t, e, e.browser().get(e.issuer+"/oauth2/authorize?"+q.Encode()), "invalid_request")
		}
	})
}
