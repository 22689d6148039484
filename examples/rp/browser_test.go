package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idp/idp"
	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// TestBrowserSingleSignOn drives a real headless Chromium through single
// sign-on and single logout across two apps on two sites (app-a.localhost
// and app-b.localhost) sharing the real provider on localhost:
//
//  1. App A: the provider asks for the password, then for consent; A shows
//     the member's claims.
//  2. App B (registered with skip_consent, like the demo's first-party
//     app): no provider page at all, B shows the same member and sid.
//  3. Logout from B (RP-Initiated Logout with id_token_hint, so no
//     confirmation): the provider session is gone, the back-channel logout
//     ends A's session, and A's next login asks for the password again.
//
// It skips when no Chromium is installed, unless IDP_TEST_REQUIRE_BROWSER=1.
// Screenshots go to a temporary directory, or to IDP_TEST_SCREENSHOTS when
// set (kept there); their paths are logged when the test fails.
func TestBrowserSingleSignOn(t *testing.T) {
	exe := chromiumPath(t)
	idptest.EachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) { runSSOScenario(t, exe, open(t)) })
}

// The member who signs in.
const (
	ssoUser     = "alice"
	ssoEmail    = "alice@example.com"
	ssoName     = "Alice Example"
	ssoPassword = "alice-password-1"
)

// chromiumPath finds the browser or skips (fails when one is required).
func chromiumPath(t *testing.T) string {
	t.Helper()
	required := os.Getenv("IDP_TEST_REQUIRE_BROWSER") == "1"
	if testing.Short() && !required {
		t.Skip("browser test skipped in -short mode")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium in PATH (looked for chromium and chromium-browser)"
	if required {
		t.Fatal(msg + ", and IDP_TEST_REQUIRE_BROWSER=1")
	}
	t.Skip(msg + "; install one, or set IDP_TEST_REQUIRE_BROWSER=1 to make its absence a failure")
	return ""
}

// runSSOScenario is the whole scenario on one store, with a browser of its
// own and a deadline so that a hang fails fast.
func runSSOScenario(t *testing.T, exe string, store *storage.Store) {
	e := newSSOEnv(t, store)
	b := launchChromium(t, exe)
	ctx, cancel := context.WithTimeout(b.root, 60*time.Second)
	defer cancel()
	b.ctx = ctx

	claimsA := b.firstSignIn(e.appA)
	if claimsA["sub"] != e.member.ID || claimsA["email"] != ssoEmail || claimsA["name"] != ssoName {
		t.Fatalf("app A shows sub=%q email=%q name=%q, want %q %q %q",
			claimsA["sub"], claimsA["email"], claimsA["name"], e.member.ID, ssoEmail, ssoName)
	}
	sessions := e.providerSessions()
	if len(sessions) != 1 || claimsA["sid"] != sessions[0].ID {
		t.Fatalf("app A shows sid %q; provider sessions %+v, want exactly that one", claimsA["sid"], sessions)
	}

	mark := e.requests.mark()
	claimsB := b.silentSignIn(e.appB)
	if shown := e.requests.since(mark, "GET /login", "POST /login", "GET /consent"); len(shown) > 0 {
		t.Fatalf("signing in to app B showed provider pages %v, want none", shown)
	}
	if claimsB["sub"] != e.member.ID || claimsB["sid"] != claimsA["sid"] {
		t.Fatalf("app B shows sub=%q sid=%q, want app A's %q %q", claimsB["sub"], claimsB["sid"], e.member.ID, claimsA["sid"])
	}

	for _, app := range []*ssoApp{e.appA, e.appB} {
		if n := app.srv.store.liveSessions(); n != 1 {
			t.Fatalf("%s has %d local sessions, want 1", app.name, n)
		}
	}

	b.logout(e.appB)
	if n := e.appB.srv.store.liveSessions(); n != 0 {
		t.Fatalf("after its logout %s still has %d local sessions", e.appB.name, n)
	}
	if sessions := e.providerSessions(); len(sessions) != 0 {
		t.Fatalf("after logout the provider still has sessions %+v", sessions)
	}
	e.waitSignedOut(ctx, e.appA)
	b.signedOutEverywhere(e.appA)
}

// ssoEnv is the provider and the two apps, all in process on loopback.
type ssoEnv struct {
	t        *testing.T
	store    *storage.Store
	member   idp.Member
	issuer   string
	requests *requestLog
	appA     *ssoApp
	appB     *ssoApp
}

// ssoApp is one running relying party.
type ssoApp struct {
	clientID string
	name     string // what failure messages call it
	url      string // public URL, http://<client id>.localhost:<port>
	srv      *server
}

func newSSOEnv(t *testing.T, store *storage.Store) *ssoEnv {
	t.Helper()
	logger := idptest.FailureLogger(t)
	e := &ssoEnv{t: t, store: store}
	e.startProvider(logger)
	e.member = idptest.AddMember(t, store, idp.Member{
		Email: ssoEmail, Username: ssoUser, Name: ssoName, Role: idp.RoleMember,
	}, ssoPassword)
	e.appA = e.startApp("app-a", "App A", false, logger)
	e.appB = e.startApp("app-b", "App B", true, logger)
	return e
}

// startProvider serves the provider on 127.0.0.1 under the issuer
// http://localhost:<port>, known before New because the listener is
// opened first.
func (e *ssoEnv) startProvider(logger *slog.Logger) {
	e.t.Helper()
	srv, u := idptest.Listen(e.t)
	e.issuer = strings.Replace(u, "127.0.0.1", "localhost", 1)
	p, err := provider.New(context.Background(), provider.Config{
		Issuer: e.issuer, Store: e.store, Secret: []byte(rand.Text() + rand.Text()), Logger: logger,
	})
	if err != nil {
		e.t.Fatalf("provider.New: %v", err)
	}
	e.requests = &requestLog{next: p}
	e.t.Cleanup(func() { _ = p.Close() }) // after the server stops
	idptest.Start(e.t, srv, e.requests)
}

// startApp registers the client clientID for an app on its own loopback
// port, reached by the browser as http://<clientID>.localhost:<port> (a
// site of its own), and starts the app.
func (e *ssoEnv) startApp(clientID, title string, skipConsent bool, logger *slog.Logger) *ssoApp {
	e.t.Helper()
	srv, u := idptest.Listen(e.t)
	app := &ssoApp{clientID: clientID, name: title, url: strings.Replace(u, "127.0.0.1", clientID+".localhost", 1)}
	secret := clientID + "-secret-" + rand.Text()
	idptest.AddClient(e.t, e.store, idp.Client{
		ID: clientID, Name: title,
		RedirectURIs:           []string{app.url + "/callback"},
		PostLogoutRedirectURIs: []string{app.url + "/"},
		BackchannelLogoutURI:   app.url + "/backchannel-logout",
		GrantTypes:             []string{idp.GrantAuthorizationCode, idp.GrantRefreshToken},
		Scopes:                 []string{"openid", "profile", "email", "roles", "offline_access"},
		SkipConsent:            skipConsent,
	}, secret)
	s, err := newServer(context.Background(), config{
		Issuer: e.issuer, ClientID: clientID, ClientSecret: secret, PublicURL: app.url, Title: title, Logger: logger,
	})
	if err != nil {
		e.t.Fatalf("start %s: %v", title, err)
	}
	app.srv = s
	idptest.Start(e.t, srv, s)
	return app
}

func (e *ssoEnv) providerSessions() []idp.Session {
	e.t.Helper()
	list, err := e.store.Sessions.ByMember(context.Background(), e.member.ID)
	if err != nil {
		e.t.Fatalf("provider sessions: %v", err)
	}
	return list
}

// waitSignedOut waits for the back-channel logout, which the provider
// delivers in the background (its first attempt at once), to end every
// local session of app.
func (e *ssoEnv) waitSignedOut(ctx context.Context, app *ssoApp) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		if n := app.srv.store.liveSessions(); n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			e.t.Fatalf("%s still has a local session: the back-channel logout never arrived", app.name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// liveSessions counts the app's local sessions.
func (st *store) liveSessions() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.sessions)
}

// requestLog records every request the provider serves, so the test can
// prove which provider pages the browser was, or was not, shown.
type requestLog struct {
	next http.Handler
	mu   sync.Mutex
	seen []string // "GET /login"
}

func (l *requestLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.seen = append(l.seen, r.Method+" "+r.URL.Path)
	l.mu.Unlock()
	l.next.ServeHTTP(w, r)
}

// mark returns a position to pass to since.
func (l *requestLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

// since returns the requests after mark that are among want.
func (l *requestLog) since(mark int, want ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.seen[mark:] {
		for _, w := range want {
			if s == w {
				out = append(out, s)
			}
		}
	}
	return out
}

// chrome is a headless Chromium with a fresh profile. root lives as long as
// the browser; ctx bounds the scenario.
type chrome struct {
	t        *testing.T
	root     context.Context
	ctx      context.Context
	shotDir  string
	shotsMu  sync.Mutex
	shotList []string
}

// launchChromium starts the browser; the test's cleanup closes it and
// waits for the process to exit before its profile directory is removed.
func launchChromium(t *testing.T, exe string) *chrome {
	t.Helper()
	b := &chrome{t: t, shotDir: os.Getenv("IDP_TEST_SCREENSHOTS")}
	if b.shotDir == "" {
		b.shotDir = t.TempDir()
	} else if err := os.MkdirAll(b.shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox, // tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1024, 800),
	)
	t.Cleanup(cancelAlloc) // kills the process if still running, and waits for it
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		closeCtx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		_ = chromedp.Cancel(closeCtx) // closes the browser gracefully
		cancel()
	})
	b.root, b.ctx = ctx, ctx
	// The first Do starts the browser, which lives as long as its context:
	// no timeout here, but a watchdog for a browser that never answers.
	watchdog := time.AfterFunc(30*time.Second, cancelAlloc)
	err := chromedp.Do(ctx)
	watchdog.Stop()
	if err != nil {
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	t.Cleanup(b.onFailure)
	return b
}

// onFailure screenshots the page the browser is on and lists every
// screenshot taken.
func (b *chrome) onFailure() {
	if !b.t.Failed() {
		return
	}
	ctx, cancel := context.WithTimeout(b.root, 10*time.Second)
	defer cancel()
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		b.t.Logf("browser was at %s", loc)
	}
	b.screenshot(ctx, "failure")
	b.shotsMu.Lock()
	defer b.shotsMu.Unlock()
	for _, p := range b.shotList {
		b.t.Logf("screenshot: %s", p)
	}
	if os.Getenv("IDP_TEST_SCREENSHOTS") == "" {
		b.t.Logf("screenshots go with the test's temporary directory; set IDP_TEST_SCREENSHOTS=<dir> to keep them")
	}
}

// screenshot saves the whole current page as a PNG named after the step.
func (b *chrome) screenshot(ctx context.Context, name string) {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.shotsMu.Lock()
	defer b.shotsMu.Unlock()
	sub := b.t.Name()[strings.LastIndex(b.t.Name(), "/")+1:]
	p := filepath.Join(b.shotDir, fmt.Sprintf("%s-%02d-%s.png", sub, len(b.shotList)+1, name))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.shotList = append(b.shotList, p)
}

// do performs actions within the scenario's deadline.
func (b *chrome) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// Error elements of the apps' and the provider's error pages.
const errorSelectors = "#error, #error-message"

// waitFor polls the current page, across navigations, until it has loaded
// and one of selectors matches, and returns that selector. An error page
// fails the test with its message.
func (b *chrome) waitFor(step string, selectors ...string) string {
	b.t.Helper()
	all, _ := json.Marshal(append(selectors, errorSelectors))
	js := `(sels => {
		if (document.readyState !== "complete") return "";
		for (const s of sels) if (document.querySelector(s)) return s;
		return "";
	})(` + string(all) + `)`
	for {
		// Errors are expected while a navigation replaces the document.
		found, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
		if err == nil && found == errorSelectors {
			msg, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(errorSelectors)))
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			b.t.Fatalf("%s: error page at %s: %s", step, loc, msg)
		}
		if err == nil && found != "" {
			return found
		}
		select {
		case <-b.ctx.Done():
			b.t.Fatalf("%s: none of %v appeared: %v", step, selectors, b.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// at fails unless the browser is at origin+path.
func (b *chrome) at(step, origin, path string) {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme+"://"+u.Host != origin || u.Path != path {
		b.t.Fatalf("%s: browser is at %s, want %s%s", step, loc, origin, path)
	}
}

// claims reads the ID token claims table of an app's signed-in home page.
func (b *chrome) claims(step string) map[string]string {
	b.t.Helper()
	claims, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]string](
		`Object.fromEntries([...document.querySelectorAll("#claims tr")].map(
			r => [r.querySelector("th").textContent.trim(), r.querySelector("td").textContent.trim()]))`))
	if err != nil {
		b.t.Fatalf("%s: read claims: %v", step, err)
	}
	return claims
}

// firstSignIn signs in to app with the password, allowing its scopes.
func (b *chrome) firstSignIn(app *ssoApp) map[string]string {
	b.t.Helper()
	step := "sign in to " + app.name
	b.do(step, chromedp.Navigate(app.url+"/"), chromedp.Click(chromedp.CSS("#login")))
	b.waitFor(step+": login page", "input[name=password]")
	b.do(step, chromedp.WaitVisible(chromedp.CSS("input[name=username]")))
	b.screenshot(b.ctx, "login-page")
	b.do(step,
		chromedp.SendKeys(chromedp.CSS("input[name=username]"), ssoUser),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), ssoPassword),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
	)
	allow := chromedp.CSS("button[name=consent][value=allow]")
	b.waitFor(step+": consent page", string(allow))
	b.screenshot(b.ctx, "consent-page")
	b.do(step, chromedp.Click(allow))
	b.waitFor(step+": claims", "#claims")
	b.at(step, app.url, "/")
	b.screenshot(b.ctx, "claims-"+app.clientID)
	return b.claims(step)
}

// silentSignIn signs in to app on the provider session alone: it fails if a
// password field or a consent page appears on the way.
func (b *chrome) silentSignIn(app *ssoApp) map[string]string {
	b.t.Helper()
	step := "single sign-on to " + app.name
	b.do(step, chromedp.Navigate(app.url+"/"), chromedp.Click(chromedp.CSS("#login")))
	if found := b.waitFor(step, "#claims", "input[name=password]", "button[name=consent]"); found != "#claims" {
		b.t.Fatalf("%s: the provider showed %s, want no page at all", step, found)
	}
	b.at(step, app.url, "/")
	b.screenshot(b.ctx, "claims-"+app.clientID)
	return b.claims(step)
}

// logout logs out of app, confirming at the provider if it asks, and waits
// for the app's signed-out home page.
func (b *chrome) logout(app *ssoApp) {
	b.t.Helper()
	step := "log out of " + app.name
	b.do(step, chromedp.Click(chromedp.CSS("#logout")))
	if b.waitFor(step, "#login", "#confirm") == "#confirm" {
		b.do(step, chromedp.Click(chromedp.CSS("#confirm")))
		b.waitFor(step, "#login")
	}
	b.at(step, app.url, "/")
	flash, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#flash")))
	if err != nil || !strings.Contains(flash, "signed out of this app and of the provider") {
		b.t.Fatalf("%s: flash %q (%v), want the signed-out message", step, flash, err)
	}
}

// signedOutEverywhere checks app shows a visitor's page and that its next
// login asks for the password again.
func (b *chrome) signedOutEverywhere(app *ssoApp) {
	b.t.Helper()
	step := "after logout, " + app.name
	b.do(step, chromedp.Navigate(app.url+"/"))
	if found := b.waitFor(step, "#login", "#claims"); found != "#login" {
		b.t.Fatalf("%s still shows the member's claims", step)
	}
	b.do(step, chromedp.Click(chromedp.CSS("#login")))
	if found := b.waitFor(step, "input[name=password]", "#claims"); found != "input[name=password]" {
		b.t.Fatalf("%s: signed in again without a password", step)
	}
	b.screenshot(b.ctx, "login-again")
}
