package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// newTestRP starts the app against f at a URL known before construction,
// the way the browser end-to-end test and main do.
func newTestRP(t *testing.T, f *fakeProvider) (*server, string) {
	t.Helper()
	var s *server
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	var err error
	s, err = newServer(context.Background(), config{
		Issuer: f.URL, ClientID: fakeClientID, ClientSecret: fakeClientSecret,
		PublicURL: srv.URL, Title: "App A",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, srv.URL
}

// browser is an HTTP client with a cookie jar that follows redirects.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, c: &http.Client{Jar: jar}}
}

// page is a response after redirects: status, final URL and body.
type page struct {
	status int
	url    string
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: resp.StatusCode, url: resp.Request.URL.String(), body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field on the page:\n%s", p.body)
	}
	return m[1]
}

func (p page) mustContain(t *testing.T, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(p.body, s) {
			t.Errorf("page %s (status %d) lacks %q:\n%s", p.url, p.status, s, p.body)
		}
	}
}

// login signs the browser in and returns the home page it lands on.
func (b *browser) login(rp string) page {
	b.t.Helper()
	p := b.get(rp + "/login")
	if p.status != 200 || p.url != rp+"/" {
		b.t.Fatalf("login ended at %s with status %d:\n%s", p.url, p.status, p.body)
	}
	return p
}

func TestLoginRefreshLogout(t *testing.T) {
	f := newFakeProvider(t)
	_, rp := newTestRP(t, f)
	b := newBrowser(t)

	home := b.get(rp + "/")
	home.mustContain(t, `id="login"`, "App A")

	home = b.login(rp)
	home.mustContain(t, `id="claims"`, `id="userinfo"`, `id="logout"`, "Alice Example",
		"<th>sid</th><td>sid-1</td>", "<th>roles</th><td>[&#34;admin&#34;]</td>", "A refresh token is held")
	ar := f.authReqs[0]
	for name, want := range map[string]string{
		"client_id": fakeClientID, "response_type": "code", "redirect_uri": rp + "/callback",
		"code_challenge_method": "S256", "scope": "openid profile email roles offline_access",
	} {
		if got := ar.Get(name); got != want {
			t.Errorf("authorization request %s = %q, want %q", name, got, want)
		}
	}
	if len(ar.Get("state")) < 32 || len(ar.Get("nonce")) < 32 || ar.Get("state") == ar.Get("nonce") {
		t.Errorf("state %q and nonce %q must be long and distinct", ar.Get("state"), ar.Get("nonce"))
	}

	// Refresh twice: the second use must present the rotated token, or the
	// fake provider answers invalid_grant.
	for range 2 {
		home = b.post(rp+"/refresh", url.Values{"csrf": {home.csrf(t)}})
		home.mustContain(t, "Tokens refreshed. The new access token expires at", `id="claims"`)
	}

	home = b.post(rp+"/logout", url.Values{"csrf": {home.csrf(t)}})
	home.mustContain(t, "You are signed out of this app and of the provider.", `id="login"`)
	if f.ended.Get("client_id") != fakeClientID || f.ended.Get("post_logout_redirect_uri") != rp+"/" {
		t.Errorf("end_session request = %v", f.ended)
	}
	if idToken := f.ended.Get("id_token_hint"); strings.Count(idToken, ".") != 2 {
		t.Errorf("id_token_hint = %q, want the ID token", idToken)
	}
	if p := b.get(rp + "/?state=" + f.ended.Get("state")); p.status != 400 {
		t.Errorf("replayed logout return answered %d, want 400", p.status)
	}
}

func TestCallbackRefusals(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func(q url.Values)
		tamperID func(c map[string]any)
		want     string
	}{
		{"state mismatch", func(q url.Values) { q.Set("state", "x"+q.Get("state")) }, nil, "state mismatch"},
		{"wrong iss", func(q url.Values) { q.Set("iss", "http://evil.example") }, nil, "wrong issuer"},
		{"missing iss although advertised", func(q url.Values) { q.Del("iss") }, nil, "wrong issuer"},
		{"provider error", func(q url.Values) {
			q.Del("code")
			q.Set("error", "access_denied")
			q.Set("error_description", "<b>no</b>")
		}, nil, "refused the login: access_denied (&lt;b&gt;no&lt;/b&gt;)"},
		{"no code", func(q url.Values) { q.Del("code") }, nil, "no authorization code"},
		{"unknown code", func(q url.Values) { q.Set("code", "forged") }, nil, "could not be completed"},
		{"nonce mismatch", nil, func(c map[string]any) { c["nonce"] = "replayed-nonce" }, "could not be completed"},
		{"no nonce", nil, func(c map[string]any) { delete(c, "nonce") }, "could not be completed"},
		{"ID token for another client", nil, func(c map[string]any) { c["aud"] = []string{"app-b"} }, "could not be completed"},
		{"ID token from another issuer", nil, func(c map[string]any) { c["iss"] = "http://evil.example" }, "could not be completed"},
		{"expired ID token", nil, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, "could not be completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeProvider(t)
			f.tamper, f.tamperID = tt.tamper, tt.tamperID
			_, rp := newTestRP(t, f)
			b := newBrowser(t)
			p := b.get(rp + "/login")
			if p.status < 400 {
				t.Errorf("status = %d, want an error", p.status)
			}
			p.mustContain(t, tt.want)
			b.get(rp+"/").mustContain(t, `id="login"`)
		})
	}

	t.Run("callback without a login cookie", func(t *testing.T) {
		f := newFakeProvider(t)
		_, rp := newTestRP(t, f)
		p := newBrowser(t).get(rp + "/callback?code=c&state=s&iss=" + url.QueryEscape(f.URL))
		if p.status != 400 {
			t.Errorf("status = %d, want 400", p.status)
		}
		p.mustContain(t, "not started here")
	})
}

func TestFormsNeedCSRFToken(t *testing.T) {
	f := newFakeProvider(t)
	_, rp := newTestRP(t, f)
	b := newBrowser(t)
	b.login(rp)
	for _, path := range []string{"/logout", "/refresh"} {
		if p := b.post(rp+path, url.Values{"csrf": {"forged"}}); p.status != 403 {
			t.Errorf("POST %s with a forged token = %d, want 403", path, p.status)
		}
	}
	b.get(rp+"/").mustContain(t, `id="logout"`)
}

func TestBackchannelLogoutEndsOnlyThatSession(t *testing.T) {
	f := newFakeProvider(t)
	_, rp := newTestRP(t, f)
	first, second := newBrowser(t), newBrowser(t)
	first.login(rp).mustContain(t, "<td>sid-1</td>")
	second.login(rp).mustContain(t, "<td>sid-2</td>")

	resp, err := http.PostForm(rp+"/backchannel-logout", url.Values{"logout_token": {f.sign("logout+jwt", f.logoutClaims("sid-1"))}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("back-channel logout = %d (Cache-Control %q), want 200 no-store", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	first.get(rp+"/").mustContain(t, `id="login"`)
	second.get(rp+"/").mustContain(t, `id="logout"`, "<td>sid-2</td>")
}

func TestParseConfig(t *testing.T) {
	t.Setenv("RP_CLIENT_ID", "app-b")
	t.Setenv("RP_PUBLIC_URL", "http://app-b.localhost:5556")
	c, err := parseConfig([]string{"--listen", ":5556", "--title", "App B"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientID != "app-b" || c.PublicURL != "http://app-b.localhost:5556" || c.Listen != ":5556" || c.Title != "App B" {
		t.Errorf("config = %+v", c)
	}
	_, err = parseConfig([]string{"--issuer", "x", "--public-url", "http://a.localhost/app", "--client-id", "", "--scopes", "profile"})
	for _, want := range []string{"--issuer/RP_ISSUER", "--public-url/RP_PUBLIC_URL", "--client-id/RP_CLIENT_ID", "--scopes/RP_SCOPES"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %s", err, want)
		}
	}
	if a, b := newCookieNames("app-a"), newCookieNames("app-b"); a.session == b.session {
		t.Errorf("two client ids share the session cookie %q", a.session)
	}
}
