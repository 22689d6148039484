package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp/internal/idptest"
)

// newTestRP starts the app against f at a URL known before construction,
// the way the browser end-to-end test and main do.
func newTestRP(t *testing.T, f *fakeProvider) (*server, string) {
	t.Helper()
	srv, u := idptest.Listen(t)
	s, err := newServer(context.Background(), config{
		Issuer: f.URL, ClientID: fakeClientID, ClientSecret: fakeClientSecret,
		PublicURL: u, Title: "App A",
	})
	if err != nil {
		t.Fatal(err)
	}
	idptest.Start(t, srv, s)
	return s, u
}

// login signs b in to the app at rp (the fake provider asks nothing) and
// returns the home page it lands on.
func login(t *testing.T, b *idptest.Browser, rp string) *idptest.Page {
	t.Helper()
	p := b.Get(rp + "/login")
	if p.Resp.StatusCode != 200 || p.URL() != rp+"/" {
		t.Fatalf("login ended at %s with status %d:\n%s", p.URL(), p.Resp.StatusCode, p.Body)
	}
	return p
}

func TestLoginRefreshLogout(t *testing.T) {
	f := newFakeProvider(t)
	_, rp := newTestRP(t, f)
	b := idptest.NewBrowser(t, "")

	home := b.Get(rp + "/")
	home.MustContain(t, `id="login"`, "App A")

	home = login(t, b, rp)
	home.MustContain(t, `id="claims"`, `id="userinfo"`, `id="logout"`, "Alice Example",
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
		home = b.Post(rp+"/refresh", url.Values{"csrf": {home.Hidden(t, "csrf")}})
		home.MustContain(t, "Tokens refreshed. The new access token expires at", `id="claims"`)
	}

	home = b.Post(rp+"/logout", url.Values{"csrf": {home.Hidden(t, "csrf")}})
	home.MustContain(t, "You are signed out of this app and of the provider.", `id="login"`)
	if f.ended.Get("client_id") != fakeClientID || f.ended.Get("post_logout_redirect_uri") != rp+"/" {
		t.Errorf("end_session request = %v", f.ended)
	}
	if idToken := f.ended.Get("id_token_hint"); strings.Count(idToken, ".") != 2 {
		t.Errorf("id_token_hint = %q, want the ID token", idToken)
	}
	if p := b.Get(rp + "/?state=" + f.ended.Get("state")); p.Resp.StatusCode != 400 {
		t.Errorf("replayed logout return answered %d, want 400", p.Resp.StatusCode)
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
			b := idptest.NewBrowser(t, "")
			p := b.Get(rp + "/login")
			if p.Resp.StatusCode < 400 {
				t.Errorf("status = %d, want an error", p.Resp.StatusCode)
			}
			p.MustContain(t, tt.want)
			b.Get(rp+"/").MustContain(t, `id="login"`)
		})
	}

	t.Run("callback without a login cookie", func(t *testing.T) {
		f := newFakeProvider(t)
		_, rp := newTestRP(t, f)
		p := idptest.NewBrowser(t, "").Get(rp + "/callback?code=c&state=s&iss=" + url.QueryEscape(f.URL))
		if p.Resp.StatusCode != 400 {
			t.Errorf("status = %d, want 400", p.Resp.StatusCode)
		}
		p.MustContain(t, "not started here")
	})
}

func TestFormsNeedCSRFToken(t *testing.T) {
	f := newFakeProvider(t)
	_, rp := newTestRP(t, f)
	b := idptest.NewBrowser(t, "")
	login(t, b, rp)
	for _, path := range []string{"/logout", "/refresh"} {
		if p := b.Post(rp+path, url.Values{"csrf": {"forged"}}); p.Resp.StatusCode != 403 {
			t.Errorf("POST %s with a forged token = %d, want 403", path, p.Resp.StatusCode)
		}
	}
	b.Get(rp+"/").MustContain(t, `id="logout"`)
}

func TestBackchannelLogoutEndsOnlyThatSession(t *testing.T) {
	f := newFakeProvider(t)
	_, rp := newTestRP(t, f)
	first, second := idptest.NewBrowser(t, ""), idptest.NewBrowser(t, "")
	login(t, first, rp).MustContain(t, "<td>sid-1</td>")
	login(t, second, rp).MustContain(t, "<td>sid-2</td>")

	resp, err := http.PostForm(rp+"/backchannel-logout", url.Values{"logout_token": {f.sign("logout+jwt", f.logoutClaims("sid-1"))}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("back-channel logout = %d (Cache-Control %q), want 200 no-store", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	first.Get(rp+"/").MustContain(t, `id="login"`)
	second.Get(rp+"/").MustContain(t, `id="logout"`, "<td>sid-2</td>")
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
