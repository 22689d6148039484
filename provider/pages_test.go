package provider_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// uiLocales is the ui_locales parameter of an authorization request.
func uiLocales(v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam("ui_locales", v) }

// pngLogo is a real 2×2 PNG.
func pngLogo(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// brandedEnv is a provider with a name, a PNG logo and an accent colour.
func brandedEnv(t *testing.T, store *storage.Store, tweak ...func(*provider.Config)) (*env, []byte) {
	logo := pngLogo(t)
	path := writeFile(t, "logo.png", logo)
	return newEnv(t, store, append([]func(*provider.Config){func(c *provider.Config) {
		c.BrandName, c.BrandLogo, c.BrandColor = "Acme Corp", path, "#0A7D33"
	}}, tweak...)...), logo
}

// TestPagesBrand: the organisation's name and logo are on every page
// (sign-in, consent, account, sign-out, error), the logo and the accent
// colour's stylesheet are served from the provider itself, and a bad
// colour stops start-up naming the setting.
func TestPagesBrand(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, logo := brandedEnv(t, open(t))
		b := e.browser()
		var pages []*page
		pg := b.get(e.webRP().authURL(newAuthRequest()))
		pages = append(pages, pg)
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		pages = append(pages, pg, b.get(e.issuer+"/account"), b.get(e.issuer+"/oauth2/logout"), b.get(e.issuer+"/nowhere"))
		for i, pg := range pages {
			if !strings.Contains(pg.body, `<span id="brand-name">Acme Corp</span>`) || !strings.Contains(pg.body, `<img src="/static/logo"`) ||
				!strings.Contains(pg.body, `href="/static/brand.css"`) || !strings.Contains(pg.body, "<title>") {
				t.Errorf("page %d (%s) lacks the brand: %s", i, pg.resp.Request.URL.Path, pg.body)
			}
			if !strings.Contains(pg.body, "· Acme Corp</title>") {
				t.Errorf("page %d title lacks the name", i)
			}
		}
		for path, want := range map[string]struct {
			typ  string
			body []byte
		}{
			"/static/logo":      {"image/png", logo},
			"/static/brand.css": {"text/css; charset=utf-8", []byte(":root { --accent: #0a7d33; --on-accent: #fff; }\n")},
		} {
			resp, err := testClient.Get(e.issuer + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want.typ || !bytes.Equal(body, want.body) {
				t.Errorf("%s: %d %q %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
	})
	for _, bad := range []string{"green", "#12345", "#1234567", "#ggg", "#fff;}body{display:none"} {
		cfg := provider.Config{Issuer: "http://127.0.0.1:1", Store: openSQLite(t),
			Secret: []byte("0123456789abcdef0123456789abcdef-test"), BrandColor: bad}
		if p, err := provider.New(context.Background(), cfg); err == nil {
			p.Close()
			t.Errorf("colour %q accepted", bad)
		} else if !strings.Contains(err.Error(), "brand color") {
			t.Errorf("colour %q: error %q does not name the setting", bad, err)
		}
	}
}

// TestPagesBrandLightAccent: a light accent gets black button text, and
// keeps the default focus ring on the light page, where it would not show.
func TestPagesBrandLightAccent(t *testing.T) {
	e := newEnv(t, openSQLite(t), func(c *provider.Config) { c.BrandColor = "#ffd700" })
	resp, err := testClient.Get(e.issuer + "/static/brand.css")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "--on-accent: #000") || !strings.Contains(string(body), "--focus: #1f5fbf") {
		t.Errorf("brand.css for a gold accent: %s", body)
	}
}

// TestPagesTemplatesDir: a file in --templates-dir replaces the embedded
// template of that name (the stylesheet too), every other page stays
// embedded, and a broken override stops start-up naming its path.
func TestPagesTemplatesDir(t *testing.T) {
	dir := t.TempDir()
	login := `{{template "head" "Sign in"}}<p id="custom">Welcome to Acme, {{.ClientName}}</p>
<form method="post" action="/login"><input type="hidden" name="flow" value="{{.FlowID}}"><input type="hidden" name="csrf_token" value="{{.CSRFToken}}">
<label for="username">User</label><input id="username" name="username"><label for="password">Password</label><input id="password" name="password" type="password"><button>Go</button></form>{{template "foot"}}`
	must0(t, os.WriteFile(filepath.Join(dir, "login.html"), []byte(login), 0o600))
	must0(t, os.WriteFile(filepath.Join(dir, "style.css"), []byte("body { color: red }\n"), 0o600))
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t), func(c *provider.Config) { c.TemplatesDir = dir })
		b := e.browser()
		pg := b.get(e.webRP().authURL(newAuthRequest()))
		if !strings.Contains(pg.body, `<p id="custom">Welcome to Acme, Web App</p>`) {
			t.Fatalf("login page not overridden: %s", pg.body)
		}
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() || !strings.Contains(pg.body, "Allow access?") {
			t.Fatalf("consent page (embedded) after the overridden login: %d %s", pg.resp.StatusCode, pg.body)
		}
		resp, err := testClient.Get(e.issuer + "/static/style.css")
		must0(t, err)
		css, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(css) != "body { color: red }\n" {
			t.Errorf("style.css not overridden: %q", css)
		}
	})
	for name, content := range map[string]string{
		"consent.html": `{{template "head" "x"}}{{if .ClientName}}unclosed`,
		"layout.html":  `{{define "head"}}{{nosuchfunc .}}{{end}}`,
	} {
		t.Run("broken "+name, func(t *testing.T) {
			bad := t.TempDir()
			must0(t, os.WriteFile(filepath.Join(bad, name), []byte(content), 0o600))
			cfg := provider.Config{Issuer: "http://127.0.0.1:1", Store: openSQLite(t),
				Secret: []byte("0123456789abcdef0123456789abcdef-test"), TemplatesDir: bad}
			p, err := provider.New(context.Background(), cfg)
			if err == nil {
				p.Close()
				t.Fatal("started with a broken override")
			}
			if !strings.Contains(err.Error(), filepath.Join(bad, name)) {
				t.Errorf("error %q does not name %s", err, filepath.Join(bad, name))
			}
		})
	}
}

func must0(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPagesLanguage: ui_locales of the authorization request picks the
// pages' language, for every page of its flow, before Accept-Language;
// without it Accept-Language picks; unshipped languages fall through;
// discovery lists the shipped ones.
func TestPagesLanguage(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP()
		signInPage := func(acceptLanguage string, opts ...oauth2.AuthCodeOption) *page {
			b := e.browser()
			req, _ := http.NewRequest(http.MethodGet, r.authURL(newAuthRequest(opts...)), nil)
			if acceptLanguage != "" {
				req.Header.Set("Accept-Language", acceptLanguage)
			}
			return b.do(req)
		}
		french := func(t *testing.T, what string, pg *page) {
			t.Helper()
			if !strings.Contains(pg.body, `<html lang="fr">`) || pg.resp.Header.Get("Content-Language") != "fr" {
				t.Errorf("%s: not French: %s", what, pg.body)
			}
		}
		english := func(t *testing.T, what string, pg *page) {
			t.Helper()
			if !strings.Contains(pg.body, `<html lang="en">`) || !strings.Contains(pg.body, "Sign in") {
				t.Errorf("%s: not English: %s", what, pg.body)
			}
		}

		// ui_locales, kept in the flow: the login page, the same page
		// after a wrong password (a POST without ui_locales), consent.
		b := e.browser()
		pg := b.get(r.authURL(newAuthRequest(uiLocales("fr-CA en"))))
		french(t, "login", pg)
		if !strings.Contains(pg.body, "Se connecter") || !strings.Contains(pg.body, "Mot de passe") {
			t.Errorf("login page not translated: %s", pg.body)
		}
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {"wrong"}}, "", "")
		french(t, "failed sign-in", pg)
		if !strings.Contains(pg.body, "Le nom d&#39;utilisateur ou le mot de passe est incorrect.") {
			t.Errorf("error message not translated: %s", pg.body)
		}
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		french(t, "consent", pg)
		if !strings.Contains(pg.body, "Autoriser l&#39;accès ?") || !strings.Contains(pg.body, "vous connecter") {
			t.Errorf("consent page not translated: %s", pg.body)
		}

		french(t, "Accept-Language", signInPage("de-DE, fr;q=0.8, en;q=0.5"))
		french(t, "unshipped ui_locales, then Accept-Language", signInPage("fr", uiLocales("de it")))
		english(t, "ui_locales before Accept-Language", signInPage("fr", uiLocales("en")))
		english(t, "nothing asked", signInPage(""))
		english(t, "garbage", signInPage(`"><script>`, uiLocales(`"><script> x-`+strings.Repeat("a", 5000))))

		// An error page of a request with ui_locales speaks it too.
		q := url.Values{"client_id": {"nobody"}, "redirect_uri": {webRedirect}, "response_type": {"code"}, "ui_locales": {"fr"}}
		french(t, "error page", e.browser().get(e.issuer+"/oauth2/authorize?"+q.Encode()))

		resp, body := e.get("/.well-known/openid-configuration")
		var d struct {
			UILocales []string `json:"ui_locales_supported"`
		}
		if resp.StatusCode != 200 || json.Unmarshal(body, &d) != nil || !slices.Equal(d.UILocales, []string{"en", "fr"}) {
			t.Errorf("discovery ui_locales_supported = %v (%s)", d.UILocales, body)
		}
	})
}

// get fetches a path of the provider with the test client.
func (e *env) get(path string) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := testClient.Get(e.issuer + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// jsonLines returns the JSON records of l whose request_id is id.
func jsonLines(l *logBuffer, id string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["request_id"] == id {
			out = append(out, rec)
		}
	}
	return out
}

// TestPagesErrorReference: an error page shows a plain sentence and the
// request id as its reference; the log line with that id carries the
// protocol error code and the developer's detail.
func TestPagesErrorReference(t *testing.T) {
	logs := &logBuffer{}
	e := newEnv(t, openSQLite(t), func(c *provider.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for name, tc := range map[string]struct {
		client, redirect, sentence, code, detail string
	}{
		"unknown client":   {"nobody", webRedirect, "is not registered with this sign-in service", "invalid_client", "Client authentication failed"},
		"unregistered uri": {"web", "http://evil.localhost/cb", "an address it has not registered", "invalid_request", "redirect_uri"},
	} {
		t.Run(name, func(t *testing.T) {
			q := url.Values{"client_id": {tc.client}, "redirect_uri": {tc.redirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"state-12345678"}}
			pg := e.browser().get(e.issuer + "/oauth2/authorize?" + q.Encode())
			ref := pg.resp.Header.Get("X-Request-Id")
			if ref == "" || !strings.Contains(pg.body, `<code id="reference">`+ref+`</code>`) {
				t.Fatalf("page does not show the reference %q: %s", ref, pg.body)
			}
			if !strings.Contains(pg.body, tc.sentence) {
				t.Errorf("page lacks %q: %s", tc.sentence, pg.body)
			}
			var found bool
			for _, rec := range jsonLines(logs, ref) {
				if rec["msg"] == "request failed" && rec["code"] == tc.code && strings.Contains(rec["err"].(string), tc.detail) {
					found = true
				}
			}
			if !found {
				t.Errorf("no log line with request_id %s, code %s and the detail %q: %v", ref, tc.code, tc.detail, jsonLines(logs, ref))
			}
		})
	}
	// A way back where the provider has one: the account's pages.
	pg := e.browser().get(e.issuer + "/account/nowhere")
	if !strings.Contains(pg.body, `<a href="/account" id="back">`) || !strings.Contains(pg.body, `id="reference"`) {
		t.Errorf("account 404 without a way back: %s", pg.body)
	}
}

// TestPagesNotYou: the consent page says who is signed in; "Not you?"
// signs them out and returns to the sign-in of the same request, which
// then goes on for whoever signs in.
func TestPagesNotYou(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP()
		b := e.browser()
		a := newAuthRequest()
		pg := b.get(r.authURL(a))
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !strings.Contains(pg.body, `Signed in as <strong id="member">Alice Example</strong>`) || !strings.Contains(pg.body, `id="not-you"`) {
			t.Fatalf("consent page does not say who is signed in: %s", pg.body)
		}
		flow := pg.shared().Hidden(t, "flow")
		pg = pageOf(b.shared.Post(e.issuer+"/login/switch", url.Values{"flow": {flow}, "csrf_token": {pg.shared().Hidden(t, "csrf_token")}}))
		if !pg.isLogin() || pg.shared().Hidden(t, "flow") != flow {
			t.Fatalf("after Not you?: want the login page of flow %s, got %s %s", flow, pg.resp.Request.URL, pg.body)
		}
		if n := liveSessions(t, e); n != 0 {
			t.Errorf("alice still has %d sessions", n)
		}
		pg = b.submit(pg, url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
		if !strings.Contains(pg.body, "Bob Example") {
			t.Fatalf("consent for bob: %s", pg.body)
		}
		cb := b.submit(pg, nil, "consent", "allow").redirect(t)
		tok, err := r.exchange(e.code(cb, a), a)
		must0(t, err)
		_, claims := r.idToken(tok, a.nonce)
		if claims["preferred_username"] != "bob" {
			t.Errorf("the request finished for %v, want bob", claims["preferred_username"])
		}
	})
}

// TestPagesLogoutStay: after "Stay signed in" the page offers a way back.
func TestPagesLogoutStay(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	e.webRP("openid").signInAs(b, "alice", alicePass)
	pg := b.get(e.issuer + "/oauth2/logout")
	pg = b.submit(pg, nil, "logout", "no")
	if !strings.Contains(pg.body, "You are still signed in") || !strings.Contains(pg.body, `<a href="/account" id="back">`) {
		t.Fatalf("stay signed in: %s", pg.body)
	}
	if n := liveSessions(t, e); n != 1 {
		t.Errorf("sessions after staying: %d", n)
	}
}
