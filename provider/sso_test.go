package provider_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

const web2Redirect = "http://rp2.localhost/callback"

// web2RP is the first-party client (SkipConsent) of the seeded env.
func (e *env) web2RP() *rp {
	return e.rp("web2", webSecret, web2Redirect, "openid", "profile", "email", "offline_access")
}

// signInAs runs a whole sign-in for r in browser b (login and consent
// pages when shown) and returns the tokens and the verified ID token's
// claims.
func (r *rp) signInAs(b *browser, user, pass string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, map[string]any) {
	r.e.t.Helper()
	a := newAuthRequest(opts...)
	cb := b.signIn(r.authURL(a), user, pass)
	return r.redeem(cb, a)
}

// silent sends an authorization request that must come straight back to
// the client with a code, showing no page, and redeems it.
func (r *rp) silent(b *browser, opts ...oauth2.AuthCodeOption) (*oauth2.Token, map[string]any) {
	r.e.t.Helper()
	a := newAuthRequest(opts...)
	pg := b.get(r.authURL(a))
	if pg.isLogin() || pg.isConsent() {
		r.e.t.Fatalf("want a direct redirect to the client, got a page: %s", pg.body)
	}
	return r.redeem(pg.redirect(r.e.t), a)
}

func (r *rp) redeem(cb *url.URL, a *authRequest) (*oauth2.Token, map[string]any) {
	r.e.t.Helper()
	tok, err := r.exchange(r.e.code(cb, a), a)
	if err != nil {
		r.e.t.Fatalf("exchange: %v", err)
	}
	_, claims := r.idToken(tok, a.nonce)
	return tok, claims
}

// authError sends an authorization request that must be answered with a
// redirect to the client carrying the error, state and iss, and returns
// the error code.
func (r *rp) authError(b *browser, opts ...oauth2.AuthCodeOption) string {
	r.e.t.Helper()
	a := newAuthRequest(opts...)
	pg := b.get(r.authURL(a))
	if pg.doc != nil {
		r.e.t.Fatalf("want a redirect to the client, got a page (status %d): %s", pg.resp.StatusCode, pg.body)
	}
	cb := pg.redirect(r.e.t)
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != r.oauth.RedirectURL {
		r.e.t.Fatalf("redirected to %s, want %s", got, r.oauth.RedirectURL)
	}
	q := cb.Query()
	if q.Get("state") != a.state || q.Get("iss") != r.e.issuer || q.Has("code") {
		r.e.t.Errorf("error redirect %s: want state %q, iss %q and no code", cb, a.state, r.e.issuer)
	}
	return q.Get("error")
}

func param(k, v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam(k, v) }

// TestSSO: one sign-in serves every client in the browser. The second
// client gets a code without any page, both ID tokens name the same
// provider session and sign-in time, remembered consent is not asked
// again, and another browser is a stranger.
func TestSSO(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		web, web2 := e.webRP(), e.web2RP()
		b := e.browser()

		a := newAuthRequest()
		pg := b.get(web.authURL(a))
		if !pg.isLogin() {
			t.Fatalf("first sign-in: want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("first sign-in: want the consent page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		_, c1 := web.redeem(b.submit(pg, nil, "consent", "allow").redirect(t), a)

		_, c2 := web2.silent(b)
		if c1["sid"] == nil || c1["sid"] != c2["sid"] {
			t.Errorf("sid: web %v, web2 %v; want one session", c1["sid"], c2["sid"])
		}
		if c1["auth_time"] == nil || c1["auth_time"] != c2["auth_time"] {
			t.Errorf("auth_time: web %v, web2 %v; want the one sign-in", c1["auth_time"], c2["auth_time"])
		}
		if c1["sub"] != c2["sub"] {
			t.Errorf("sub: web %v, web2 %v", c1["sub"], c2["sub"])
		}

		_, c3 := web.silent(b) // consent remembered: no page at all
		if c3["sid"] != c1["sid"] {
			t.Errorf("third sign-in sid %v, want %v", c3["sid"], c1["sid"])
		}

		if pg := e.browser().get(web2.authURL(newAuthRequest())); !pg.isLogin() {
			t.Errorf("a fresh browser was not asked to sign in: %d %s", pg.resp.StatusCode, pg.body)
		}
	})
}

// TestPromptValues: prompt, max_age and login_hint (OpenID Connect Core
// §3.1.2.1) steer the pages; other OpenID parameters are accepted; request
// objects are refused with the codes of §6.
func TestPromptValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t))
	web, web2 := e.webRP(), e.web2RP()
	b := e.browser()

	if got := web.authError(b, param("prompt", "none")); got != "login_required" {
		t.Errorf("prompt=none without a session: error %q, want login_required", got)
	}
	// A session through the first-party client, no consent for web yet.
	_, first := web2.signInAs(b, "alice", alicePass)
	if got := web.authError(b, param("prompt", "none")); got != "consent_required" {
		t.Errorf("prompt=none without consent: error %q, want consent_required", got)
	}
	pg := b.get(web.authURL(newAuthRequest()))
	if !pg.isConsent() {
		t.Fatalf("signed in without consent: want the consent page only, got %d: %s", pg.resp.StatusCode, pg.body)
	}
	b.submit(pg, nil, "consent", "allow")
	if _, c := web.silent(b, param("prompt", "none")); c["sid"] != first["sid"] {
		t.Errorf("prompt=none sid %v, want %v", c["sid"], first["sid"])
	}

	a := newAuthRequest(param("prompt", "login"))
	pg = b.get(web.authURL(a))
	if !pg.isLogin() {
		t.Fatalf("prompt=login: want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
	}
	cb := b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "").redirect(t)
	_, relogin := web.redeem(cb, a)
	if relogin["auth_time"].(float64) < first["auth_time"].(float64) {
		t.Errorf("auth_time went back: %v after %v", relogin["auth_time"], first["auth_time"])
	}
	if relogin["sid"] != first["sid"] {
		t.Errorf("signing in again as the same member changed the sid: %v, want %v", relogin["sid"], first["sid"])
	}

	pg = b.get(web.authURL(newAuthRequest(param("prompt", "consent"))))
	if !pg.isConsent() {
		t.Errorf("prompt=consent: want the consent page, got %d: %s", pg.resp.StatusCode, pg.body)
	}

	pg = b.get(web.authURL(newAuthRequest(param("login_hint", "bob"))))
	if pg.isLogin() {
		t.Errorf("login_hint with a live session showed the login page")
	}
	pg = e.browser().get(web.authURL(newAuthRequest(param("login_hint", "bob"))))
	if in := findInput(pg, "username"); in == nil || attr(in, "value") != "bob" {
		t.Errorf("login_hint=bob did not pre-fill the username: %s", pg.body)
	}

	web.silent(b, param("display", "page"), param("ui_locales", "de en"), param("claims_locales", "de"),
		param("acr_values", "urn:mace:incommon:iap:silver"), param("no_such_parameter", "x"))

	if got := web.authError(b, param("request", "eyJhbGciOiJub25lIn0.e30.")); got != "request_not_supported" {
		t.Errorf("request: error %q", got)
	}
	if got := web.authError(b, param("request_uri", "https://rp.example/r/1")); got != "request_uri_not_supported" {
		t.Errorf("request_uri: error %q", got)
	}
}

// TestMaxAge: max_age=0 always asks for the password; a small max_age does
// once that much time has passed since the sign-in, and not before.
func TestMaxAge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t))
	web := e.webRP()
	b := e.browser()
	_, first := web.signInAs(b, "alice", alicePass)

	web.silent(b, param("max_age", "3600"))
	if pg := b.get(web.authURL(newAuthRequest(param("max_age", "0")))); !pg.isLogin() {
		t.Errorf("max_age=0: want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
	}
	// auth_time has whole seconds; wait until it is more than 1 s old.
	authTime := time.Unix(int64(first["auth_time"].(float64)), 0)
	time.Sleep(time.Until(authTime.Add(1100 * time.Millisecond)))
	if got := web.authError(b, param("max_age", "1"), param("prompt", "none")); got != "login_required" {
		t.Errorf("max_age=1 after >1 s with prompt=none: error %q, want login_required", got)
	}
	a := newAuthRequest(param("max_age", "1"))
	pg := b.get(web.authURL(a))
	if !pg.isLogin() {
		t.Fatalf("max_age=1 after >1 s: want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
	}
	cb := b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "").redirect(t)
	if _, c := web.redeem(cb, a); c["auth_time"].(float64) <= first["auth_time"].(float64) {
		t.Errorf("auth_time %v after a new sign-in, want later than %v", c["auth_time"], first["auth_time"])
	}
}

// TestAuthorizePost: the authorization endpoint takes form-encoded POSTs
// like GETs (OpenID Connect Core §3.1.2.1), through the login and consent
// pages and silently once signed in.
func TestAuthorizePost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t))
	web := e.webRP()
	b := e.browser()
	post := func(a *authRequest) *page {
		t.Helper()
		u, _ := url.Parse(web.authURL(a))
		req, _ := http.NewRequest(http.MethodPost, e.issuer+u.Path, strings.NewReader(u.RawQuery))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return b.do(req)
	}
	a := newAuthRequest()
	pg := post(a)
	if !pg.isLogin() {
		t.Fatalf("POST authorize: want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
	}
	pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
	if !pg.isConsent() {
		t.Fatalf("want the consent page, got %d: %s", pg.resp.StatusCode, pg.body)
	}
	web.redeem(b.submit(pg, nil, "consent", "allow").redirect(t), a)

	a = newAuthRequest()
	pg = post(a)
	if pg.doc != nil {
		t.Fatalf("signed-in POST authorize showed a page: %s", pg.body)
	}
	web.redeem(pg.redirect(t), a)
}

// TestSessionExpiry: a session idle for longer than SessionIdleTimeout, or
// older than SessionLifetime, is ended on its next use and the member
// signs in again, into a new session. The lifetime case replays the cookie
// by hand: the browser would drop it at its expiry, but the server must
// not rely on that.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		tweak func(*provider.Config)
		each  func(*testing.T, func(*testing.T, func(testing.TB) *storage.Store))
	}{
		{"idle", func(c *provider.Config) { c.SessionIdleTimeout = time.Second }, eachStore},
		{"lifetime", func(c *provider.Config) { c.SessionLifetime = time.Second }, sqliteOnly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.each(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
				e := newEnv(t, open(t), tc.tweak)
				web2 := e.web2RP()
				b := e.browser()
				jar := &recordingJar{CookieJar: b.client.Jar, set: map[string]*http.Cookie{}}
				b.client.Jar = jar
				_, first := web2.signInAs(b, "alice", alicePass)
				s, err := e.store.Sessions.ByID(context.Background(), first["sid"].(string))
				if err != nil {
					t.Fatalf("session of the sign-in: %v", err)
				}
				time.Sleep(time.Until(s.LastSeenAt.Add(1100 * time.Millisecond)))

				req, _ := http.NewRequest(http.MethodGet, web2.authURL(newAuthRequest()), nil)
				for _, c := range jar.all() {
					req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
				}
				if pg := b.do(req); !pg.isLogin() {
					t.Fatalf("expired session: want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
				}
				if _, err := e.store.Sessions.ByID(context.Background(), s.ID); !errors.Is(err, idp.ErrNotFound) {
					t.Errorf("expired session still stored: %v", err)
				}
				if _, again := web2.signInAs(b, "alice", alicePass); again["sid"] == first["sid"] {
					t.Errorf("sign-in after expiry reused sid %v", again["sid"])
				}
			})
		})
	}
}

// sqliteOnly runs fn on SQLite alone, for rules the provider enforces the
// same way whatever the backend.
func sqliteOnly(t *testing.T, fn func(t *testing.T, open func(testing.TB) *storage.Store)) {
	fn(t, openSQLite)
}

// TestSessionInUseStaysAlive: the idle timeout counts from the last use,
// so a session used more often than SessionIdleTimeout never idles out,
// however short the timeout.
func TestSessionInUseStaysAlive(t *testing.T) {
	t.Parallel()
	// The provider's clock moves only when the test moves it, so a slow
	// machine cannot stretch the gaps between uses.
	start := time.Now()
	var offset atomic.Int64
	now := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	e := newEnv(t, openSQLite(t), func(c *provider.Config) {
		c.SessionIdleTimeout = 1500 * time.Millisecond
		c.Now = now
	})
	web2 := e.web2RP()
	b := e.browser()
	_, first := web2.signInAs(b, "alice", alicePass)
	s, err := e.store.Sessions.ByID(context.Background(), first["sid"].(string))
	if err != nil {
		t.Fatal(err)
	}
	// Used after 0.6 s and after 1.8 s: never idle for 1.5 s, yet older.
	for _, at := range []time.Duration{600 * time.Millisecond, 1800 * time.Millisecond} {
		offset.Store(int64(s.LastSeenAt.Add(at).Sub(start)))
		if _, c := web2.silent(b); c["sid"] != first["sid"] {
			t.Errorf("after %v: sid %v, want %v", at, c["sid"], first["sid"])
		}
	}
}

// recordingJar remembers the last value of every cookie set, even one the
// jar has since dropped as expired, so a test can replay it.
type recordingJar struct {
	http.CookieJar
	mu  sync.Mutex
	set map[string]*http.Cookie
}

func (j *recordingJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	for _, c := range cookies {
		j.set[c.Name] = c
	}
	j.mu.Unlock()
	j.CookieJar.SetCookies(u, cookies)
}

func (j *recordingJar) all() []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.set {
		out = append(out, c)
	}
	return out
}

// TestSessionRevoked: sessions are listed per member, and deleting one
// from the store signs out only the browser that held it.
func TestSessionRevoked(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		web2 := e.web2RP()
		b1, b2 := e.browser(), e.browser()
		_, c1 := web2.signInAs(b1, "alice", alicePass)
		_, c2 := web2.signInAs(b2, aliceEmail, alicePass)
		web2.signInAs(e.browser(), "bob", bobPass)

		ctx := context.Background()
		list, err := e.store.Sessions.ByMember(ctx, memberID(t, e, "alice"))
		if err != nil {
			t.Fatal(err)
		}
		var sids []string
		for _, s := range list {
			sids = append(sids, s.ID)
		}
		slices.Sort(sids)
		want := []string{c1["sid"].(string), c2["sid"].(string)}
		slices.Sort(want)
		if !slices.Equal(sids, want) {
			t.Fatalf("alice's sessions = %v, want %v", sids, want)
		}

		if err := e.store.Sessions.Delete(ctx, c1["sid"].(string)); err != nil {
			t.Fatal(err)
		}
		if pg := b1.get(web2.authURL(newAuthRequest())); !pg.isLogin() {
			t.Errorf("revoked session: want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		if _, c := web2.silent(b2); c["sid"] != c2["sid"] {
			t.Errorf("the other session changed: sid %v, want %v", c["sid"], c2["sid"])
		}
	})
}

// TestSessionCookie: the session and binding cookies are out of reach of
// scripts, not sent on cross-site subrequests, valid site-wide, and not
// marked Secure on a plain-http issuer (a browser would drop them).
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	raw := &http.Client{Jar: b.client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp := must(raw.Get(e.webRP().authURL(newAuthRequest())))
	resp.Body.Close()
	set := resp.Cookies()
	login := b.get(e.issuer + resp.Header.Get("Location"))
	if !login.isLogin() {
		t.Fatalf("want the login page, got %d: %s", login.resp.StatusCode, login.body)
	}
	form := url.Values{"username": {"alice"}, "password": {alicePass}}
	for _, name := range []string{"flow", "csrf_token"} {
		form.Set(name, attr(findInput(login, name), "value"))
	}
	resp = must(raw.PostForm(e.issuer+"/login", form))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	set = append(set, resp.Cookies()...)

	seen := map[string]bool{}
	for _, c := range set {
		seen[c.Name] = true
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.Domain != "" {
			t.Errorf("cookie %s: HttpOnly=%v SameSite=%v Path=%q Secure=%v Domain=%q; want HttpOnly, Lax, /, not Secure, host-only",
				c.Name, c.HttpOnly, c.SameSite, c.Path, c.Secure, c.Domain)
		}
	}
	if !seen["idp_session"] || !seen["idp_csrf"] {
		t.Errorf("cookies set = %v, want idp_session and idp_csrf", seen)
	}
}
