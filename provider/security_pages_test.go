package provider_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// svgWithScript is a logo an attacker slipped into the operator's files:
// opened directly, as a document of the provider's origin, its script
// would run there.
const svgWithScript = `<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>fetch("/account")</script><rect width="10" height="10"/></svg>`

// writeFile writes a file in a fresh directory and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSecuritySVGLogoSandboxed: an SVG logo is served with a policy that
// sandboxes it and allows no script, and as its own type, never sniffed.
func TestSecuritySVGLogoSandboxed(t *testing.T) {
	logo := writeFile(t, "logo.svg", []byte(svgWithScript))
	e := newEnv(t, openSQLite(t), func(c *provider.Config) { c.BrandLogo = logo })
	resp, err := testClient.Get(e.issuer + "/static/logo")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("logo: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("SVG logo served with CSP %q: want default-src 'none' and sandbox, no script source", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("logo without nosniff")
	}
}

// TestSecurityLogoTypeChecked: a logo that is not an image (an HTML page
// named logo.png), or larger than the bound, stops start-up naming the
// setting, so the provider never serves it under its origin.
func TestSecurityLogoTypeChecked(t *testing.T) {
	for name, data := range map[string][]byte{
		"html as png": []byte("<html><body><script>alert(1)</script></body></html>"),
		"empty":       nil,
		"too large":   append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 300<<10)...),
	} {
		t.Run(name, func(t *testing.T) {
			cfg := provider.Config{Issuer: "http://127.0.0.1:1", Store: openSQLite(t),
				Secret: []byte("0123456789abcdef0123456789abcdef-test"), BrandLogo: writeFile(t, "logo.png", data)}
			p, err := provider.New(context.Background(), cfg)
			if err == nil {
				p.Close()
				t.Fatal("provider started with a bad logo")
			}
			if !strings.Contains(err.Error(), "brand logo") {
				t.Errorf("error %q does not name the setting", err)
			}
		})
	}
}

// TestSecurityNotYouNeedsTheForm: the consent page's "Not you?" signs
// out only with the page's own form: another site's forged post (no
// token, or the flow id alone) and another browser holding the flow id
// and token both change nothing.
func TestSecurityNotYouNeedsTheForm(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		pg := b.get(e.webRP().authURL(newAuthRequest()))
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("want the consent page, got %d %s", pg.resp.StatusCode, pg.body)
		}
		flow, token := pg.shared().Hidden(t, "flow"), pg.shared().Hidden(t, "csrf_token")
		for name, form := range map[string]url.Values{
			"no token":    {"flow": {flow}},
			"wrong token": {"flow": {flow}, "csrf_token": {"AAAA" + token[4:]}},
		} {
			got := b.shared.Post(e.issuer+"/login/switch", form)
			if got.Resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", name, got.Resp.StatusCode)
			}
		}
		other := e.browser()
		if got := other.shared.Post(e.issuer+"/login/switch", url.Values{"flow": {flow}, "csrf_token": {token}}); got.Resp.StatusCode < 400 {
			t.Errorf("another browser: status %d, want an error", got.Resp.StatusCode)
		}
		if n := liveSessions(t, e); n != 1 {
			t.Fatalf("after forged posts %d sessions, want alice's one", n)
		}
		// The member's own page still works, and still signs in as alice.
		cb := b.submit(pg, nil, "consent", "allow").redirect(t)
		if cb.Query().Get("code") == "" {
			t.Fatalf("consent after forged posts: %s", cb)
		}
	})
}

// liveSessions counts alice's sessions.
func liveSessions(t *testing.T, e *env) int {
	t.Helper()
	m, err := e.store.Members.ByUsername(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.store.Sessions.ByMember(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestSecurityErrorPagesShowNoProtocolDetail: what fosite says about a
// refused request (its description and hints: which parameter, which
// registered URIs) is for the developer's log, not the page a phishing
// link shows a member.
func TestSecurityErrorPagesShowNoProtocolDetail(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	for name, q := range map[string]url.Values{
		"unknown client":   {"client_id": {"nobody"}, "redirect_uri": {webRedirect}},
		"unregistered uri": {"client_id": {"web"}, "redirect_uri": {"http://evil.localhost/callback"}},
	} {
		q.Set("response_type", "code")
		q.Set("scope", "openid")
		q.Set("state", "state-12345678")
		pg := b.get(e.issuer + "/oauth2/authorize?" + q.Encode())
		for _, leak := range []string{"Client authentication failed", "redirect_uri", "pre-registered", "RFC", "OAuth 2.0", "evil.localhost"} {
			if strings.Contains(pg.body, leak) {
				t.Errorf("%s: page shows %q: %s", name, leak, pg.body)
			}
		}
	}
}
