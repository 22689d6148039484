package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/password"
)

// accountSignIn signs b in at /account as user and returns the overview.
func (e *env) accountSignIn(b *browser, user, pass string) *page {
	e.t.Helper()
	pg := b.get(e.issuer + "/account")
	if !pg.isLogin() {
		e.t.Fatalf("/account without a session: want the login page, got %d %s", pg.resp.StatusCode, pg.body)
	}
	pg = b.submit(pg, url.Values{"username": {user}, "password": {pass}}, "", "")
	if pg.resp.StatusCode != http.StatusOK || pg.resp.Request.URL.Path != "/account" {
		e.t.Fatalf("sign-in to /account: got %d %s %s", pg.resp.StatusCode, pg.resp.Request.URL, pg.body)
	}
	return pg
}

// csrf returns the account forms' CSRF token of the page at path.
func (e *env) csrf(b *browser, path string) string {
	e.t.Helper()
	pg := b.get(e.issuer + path)
	if pg.resp.StatusCode != http.StatusOK || pg.isLogin() {
		e.t.Fatalf("GET %s: want the account page, got %d %s", path, pg.resp.StatusCode, pg.body)
	}
	return pg.shared().Hidden(e.t, "csrf_token")
}

// postAccount posts form to the account page at path, as its form would.
func (b *browser) postAccount(path string, form url.Values) *page {
	b.t.Helper()
	return pageOf(b.shared.Post(b.e.issuer+path, form))
}

// member returns the stored member with the username, or with the email
// when key has an "@".
func (e *env) member(key string) idp.Member {
	e.t.Helper()
	find := e.store.Members.ByUsername
	if strings.Contains(key, "@") {
		find = e.store.Members.ByEmail
	}
	m, err := find(context.Background(), key)
	if err != nil {
		e.t.Fatalf("member %s: %v", key, err)
	}
	return m
}

// passwordIs reports whether pw is the member's password now.
func (e *env) passwordIs(username, pw string) bool {
	e.t.Helper()
	ok, err := password.Verify(e.member(username).PasswordHash, pw)
	if err != nil {
		e.t.Fatal(err)
	}
	return ok
}

// sessionsOf returns the member's live sessions.
func (e *env) sessionsOf(username string) []idp.Session {
	e.t.Helper()
	list, err := e.store.Sessions.ByMember(context.Background(), e.member(username).ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// hasConsent reports whether the member's consent to the client is stored.
func (e *env) hasConsent(username, clientID string) bool {
	e.t.Helper()
	_, err := e.store.Consents.Get(context.Background(), e.member(username).ID, clientID)
	return err == nil
}

// events returns the audit events of type typ in the store, oldest first.
func (e *env) events(typ idp.AuditType) []idp.AuditEvent {
	e.t.Helper()
	var out []idp.AuditEvent
	for _, ev := range e.trail() {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// userAgent makes b send ua with every request, as a real browser does.
func (b *browser) userAgent(ua string) *browser {
	b.client.Transport = uaTransport{ua: ua, next: http.DefaultTransport}
	return b
}

type uaTransport struct {
	ua   string
	next http.RoundTripper
}

func (t uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.ua)
	return t.next.RoundTrip(r)
}
