package provider_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// TestSecurityHeadMetadata: HEAD is answered like GET without a body (RFC
// 9110 §9.3.2) on discovery and the JWKS, which monitors and caches probe.
func TestSecurityHeadMetadata(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/jwks.json"} {
			req, _ := http.NewRequest(http.MethodHead, e.issuer+path, nil)
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || len(body) != 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("HEAD %s: status %d, %d body bytes, Content-Type %q", path, resp.StatusCode, len(body), resp.Header.Get("Content-Type"))
			}
		}
	})
}

// TestSecurityMetadataCORS: browser apps fetch discovery and the JWKS
// from other origins, so both carry Access-Control-Allow-Origin: * (they
// are public and carry no credentials).
func TestSecurityMetadataCORS(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/jwks.json"} {
			req, _ := http.NewRequest(http.MethodGet, e.issuer+path, nil)
			req.Header.Set("Origin", "http://spa.localhost")
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("GET %s: Access-Control-Allow-Origin %q", path, got)
			}
		}
	})
}

// TestSecurityHSTS: with an https issuer every response carries
// Strict-Transport-Security (RFC 6797), so a browser never again sends
// session cookies or codes over plain http; an http issuer (development)
// must not pin the host to https.
func TestSecurityHSTS(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		store := open(t)
		plain := newEnv(t, store)
		secure := newEnv(t, open(t), func(c *provider.Config) { c.Issuer = "https://idp.example" })
		for _, path := range []string{"/.well-known/openid-configuration", "/oauth2/authorize", "/login", "/nowhere", "/healthz"} {
			if got := must(testClient.Get(secure.issuer + path)).Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
				t.Errorf("https issuer, GET %s: Strict-Transport-Security %q", path, got)
			}
			if got := must(testClient.Get(plain.issuer + path)).Header.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("http issuer, GET %s: Strict-Transport-Security %q", path, got)
			}
		}
		resp, _ := secure.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret)
		if resp.Header.Get("Strict-Transport-Security") == "" {
			t.Error("token endpoint answered without Strict-Transport-Security")
		}
	})
}

// formPost signs alice in with response_mode=form_post and returns the
// page the provider answers with instead of a redirect.
func formPost(t *testing.T, e *env, a *authRequest) *page {
	t.Helper()
	a.opts = append(a.opts, param("response_mode", "form_post"))
	b := e.browser()
	pg := b.get(e.webRP().authURL(a))
	if pg.isLogin() {
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
	}
	if pg.isConsent() {
		pg = b.submit(pg, nil, "consent", "allow")
	}
	return pg
}

// TestSecurityFormPost: the form_post response (OAuth 2.0 Form Post
// Response Mode) carries iss (RFC 9207) like every other mode, and submits
// itself with a script the provider's own Content-Security-Policy allows:
// no inline handler, a same-origin script, and a button when scripts are
// off.
func TestSecurityFormPost(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		a := newAuthRequest()
		pg := formPost(t, e, a)
		form := findForm(pg.doc)
		if pg.resp.StatusCode != http.StatusOK || form == nil || attr(form, "action") != webRedirect || strings.ToLower(attr(form, "method")) != "post" {
			t.Fatalf("want a form posting to the client, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		fields := map[string]string{}
		for _, in := range formInputs(form) {
			fields[in.name] = in.value
		}
		if fields["code"] == "" || fields["state"] != a.state || fields["iss"] != e.issuer {
			t.Errorf("form fields %v: want code, state and iss", fields)
		}
		if regexp.MustCompile(`(?i)\son[a-z]+\s*=`).MatchString(pg.body) || regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]`).MatchString(pg.body) {
			t.Errorf("inline script in the form_post page: %s", pg.body)
		}
		if !strings.Contains(pg.body, "<noscript>") {
			t.Error("no <noscript> fallback")
		}
		src := regexp.MustCompile(`<script[^>]*\ssrc="([^"]+)"`).FindStringSubmatch(pg.body)
		if src == nil {
			t.Fatalf("no script submits the form: %s", pg.body)
		}
		csp := pg.resp.Header.Get("Content-Security-Policy")
		if !strings.HasPrefix(src[1], "/") || !regexp.MustCompile(`script-src[^;]*'self'`).MatchString(csp) {
			t.Errorf("script %q not allowed by CSP %q", src[1], csp)
		}
		js := must(testClient.Get(e.issuer + src[1]))
		body, _ := io.ReadAll(js.Body)
		js.Body.Close()
		if js.StatusCode != http.StatusOK || !strings.Contains(js.Header.Get("Content-Type"), "javascript") || !strings.Contains(string(body), "submit()") {
			t.Errorf("script %s: status %d, Content-Type %q: %s", src[1], js.StatusCode, js.Header.Get("Content-Type"), body)
		}
		if tok, err := e.webRP().exchange(fields["code"], a); err != nil || tok.AccessToken == "" {
			t.Errorf("the posted code does not redeem: %v", err)
		}

		// Errors in form_post mode carry iss too.
		q := webAuthorize()
		q.Set("response_mode", "form_post")
		q.Set("scope", "openid admin")
		pg = e.browser().get(e.issuer + "/oauth2/authorize?" + q.Encode())
		fields = map[string]string{}
		if form := findForm(pg.doc); form != nil {
			for _, in := range formInputs(form) {
				fields[in.name] = in.value
			}
		}
		if fields["error"] != "invalid_scope" || fields["iss"] != e.issuer || fields["state"] != q.Get("state") {
			t.Errorf("form_post error fields %v: want invalid_scope with iss and state", fields)
		}
	})
}
