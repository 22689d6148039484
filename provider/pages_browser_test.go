package provider_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// pagesChromium starts a headless Chromium for the test, or skips when there
// is none (failing when IDP_TEST_REQUIRE_BROWSER=1), and returns its
// context, bounded by limit so a hang fails fast.
func pagesChromium(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	required := os.Getenv("IDP_TEST_REQUIRE_BROWSER") == "1"
	if testing.Short() && !required {
		t.Skip("browser test skipped in -short mode")
	}
	exe := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		if required {
			t.Fatal("no Chromium in PATH, and IDP_TEST_REQUIRE_BROWSER=1")
		}
		t.Skip("no Chromium in PATH; install one, or set IDP_TEST_REQUIRE_BROWSER=1 to make its absence a failure")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true), chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	watchdog := time.AfterFunc(30*time.Second, cancelAlloc)
	err := chromedp.Do(ctx)
	watchdog.Stop()
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, stop := context.WithTimeout(ctx, limit)
	t.Cleanup(stop)
	return ctx
}

// waitPage waits until the current document has loaded and has sel.
func waitPage(t *testing.T, ctx context.Context, step, sel string) {
	t.Helper()
	js := fmt.Sprintf(`document.readyState === "complete" && !!document.querySelector(%q)`, sel)
	for {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			loc, _ := chromedp.Run(context.Background(), chromedp.Location())
			t.Fatalf("%s: %s never appeared (at %s)", step, sel, loc)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestPagesLoginFocus: after a failed sign-in the page keeps the username
// and puts the focus in the password field, in a real browser.
func TestPagesLoginFocus(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		ctx := pagesChromium(t, 3*time.Minute)
		do(t, ctx, "open", chromedp.Navigate(e.webRP().authURL(newAuthRequest())))
		waitPage(t, ctx, "login", "#password")
		focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		if err != nil || focused != "username" {
			t.Errorf("first visit: focus on %q (%v), want username", focused, err)
		}
		do(t, ctx, "sign in wrong",
			chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
			chromedp.SendKeys(chromedp.CSS("#password"), "wrong-password"),
			chromedp.Click(chromedp.CSS("#submit")))
		waitPage(t, ctx, "failed sign-in", "#error")
		state, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](
			`({focus: document.activeElement.id, user: document.querySelector("#username").value,
			  pass: document.querySelector("#password").value})`))
		if err != nil {
			t.Fatal(err)
		}
		if state["focus"] != "password" || state["user"] != "alice" || state["pass"] != "" {
			t.Errorf("after a failed sign-in: %v, want focus on password, username alice, password empty", state)
		}
	})
}

// axeEnv names the file of axe-core (axe.min.js) the accessibility test
// injects; .ci/run installs a pinned version from npm and sets it.
const axeEnv = "IDP_TEST_AXE"

// axeReport is what the page's axe run returns: the serious and critical
// violations, with the nodes they were found on.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
	.filter(v => v.impact === "serious" || v.impact === "critical")
	.map(v => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", ")))`

// TestPagesAccessibility runs axe-core in Chromium over every page a
// member can reach (sign-in, failed sign-in, consent, sign-out question,
// still signed in, signed out, device code, device question, device
// done, the account and each of its sections, error pages, the second
// factor and enrolment inside a sign-in, the password reset request and
// the mailed link's page) and the admin console's pages, each at desktop and phone width, in
// light and dark mode, and fails on any serious or critical violation.
func TestPagesAccessibility(t *testing.T) {
	path := os.Getenv(axeEnv)
	if path == "" {
		if os.Getenv("IDP_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatalf("%s is not set, and IDP_TEST_REQUIRE_BROWSER=1: install axe-core (.ci/run does) and set it to axe.min.js", axeEnv)
		}
		t.Skipf("%s is not set: npm install axe-core and set it to node_modules/axe-core/axe.min.js", axeEnv)
	}
	axe, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", axeEnv, err)
	}
	mb := newMailbox(t)
	e, _ := brandedEnv(t, openSQLite(t), withMail(mb))
	e.giveTOTP("bob@example.com")
	carol := e.addMember("carol@example.com", "carol", "Carol", "carol-password-1", idp.RoleMember)
	carol.MFARequired = true
	must(0, e.store.Members.Update(context.Background(), carol))
	e.addClient(idp.Client{ID: "tv", Name: "Living Room TV", GrantTypes: []string{idp.GrantDeviceCode},
		Scopes: []string{"openid", "profile"}}, "")
	// Four axe runs of a few seconds each per page, on a shared machine.
	ctx := pagesChromium(t, 12*time.Minute)

	checked := 0
	check := func(name string) {
		t.Helper()
		if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`)); !ok {
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(axe)+";true")); err != nil {
				t.Fatalf("%s: inject axe: %v", name, err)
			}
		}
		for _, width := range []int64{1280, 375} {
			for _, scheme := range []string{"light", "dark"} {
				do(t, ctx, name, chromedp.EmulateViewport(width, 800), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
						Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
					return err
				}))
				found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](axeRun, chromedp.EvalAwaitPromise))
				if err != nil {
					t.Fatalf("%s: axe: %v", name, err)
				}
				for _, v := range found {
					t.Errorf("%s, %dpx, %s: %s", name, width, scheme, v)
				}
				checked++
			}
		}
	}
	step := func(name, sel string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		do(t, ctx, name, actions...)
		waitPage(t, ctx, name, sel)
		check(name)
	}

	step("login", "#password", chromedp.Navigate(e.webRP().authURL(newAuthRequest())))
	step("failed login", "#error", chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong"), chromedp.Click(chromedp.CSS("#submit")))
	step("consent", "#allow", chromedp.SendKeys(chromedp.CSS("#password"), alicePass), chromedp.Click(chromedp.CSS("#submit")))
	step("french consent", "#allow", chromedp.Navigate(e.webRP().authURL(newAuthRequest(uiLocales("fr")))))
	step("account", "dl", chromedp.Navigate(e.issuer+"/account"))
	for _, p := range []struct{ path, sel string }{
		{"/account/profile", "#address_formatted"}, {"/account/email", "#status"},
		{"/account/password", "#change-password"}, {"/account/security", "#totp-status"},
		{"/account/security/totp", "#qr"}, {"/account/passkeys", "#no-passkeys"},
		{"/account/sessions", "#sessions"}, {"/account/apps", "#apps, #no-apps"},
		{"/account/activity", "#activity, #no-activity"},
		// The admin console, as alice, the seeded administrator.
		{"/admin/members", "#q"}, {"/admin/members/" + e.member(aliceEmail).ID, "#second-factors"},
		{"/admin/clients", "a[href='/admin/clients/new']"}, {"/admin/clients/web", "#redirect_uris"},
		{"/admin/sessions", "form[action$='/end']"}, {"/admin/audit", "#type"}, {"/admin/keys", "#alg"},
	} {
		step(p.path, p.sel, chromedp.Navigate(e.issuer+p.path))
	}
	_, start := e.mustDeviceStart("tv", "", "openid profile")
	step("device", "#user_code", chromedp.Navigate(e.issuer+"/device"))
	step("device wrong code", "#error", chromedp.SendKeys(chromedp.CSS("#user_code"), "BCDF-GHJK"), chromedp.Click(chromedp.CSS("#submit")))
	step("device consent", "#allow", chromedp.Navigate(start["verification_uri_complete"].(string)),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			// verification_uri_complete prefills the code: submit it.
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(b => { if (b && !document.querySelector("#allow")) b.click(); return true })(document.querySelector("#submit"))`))
			return err
		}))
	step("device done", "#done", chromedp.Click(chromedp.CSS("#allow")))
	step("logout question", "#confirm", chromedp.Navigate(e.issuer+"/oauth2/logout"))
	step("still signed in", "#back", chromedp.Click(chromedp.CSS("#cancel")))
	step("logout question again", "#confirm", chromedp.Navigate(e.issuer+"/oauth2/logout"))
	step("signed out", "#signed-out", chromedp.Click(chromedp.CSS("#confirm")))
	step("not found", "#reference", chromedp.Navigate(e.issuer+"/nowhere"))
	step("unknown client", "#reference", chromedp.Navigate(e.issuer+"/oauth2/authorize?client_id=nobody&response_type=code&redirect_uri=http://x/"))
	step("expired sign-in", "#reference", chromedp.Navigate(e.issuer+"/login?flow=gone"))
	// The second factor, and enrolment inside a sign-in.
	step("second factor", "#otp", chromedp.Navigate(e.webRP().authURL(newAuthRequest())),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#username"), "bob"), chromedp.SendKeys(chromedp.CSS("#password"), bobPass),
		chromedp.Click(chromedp.CSS("#submit")))
	step("wrong second factor", "#error", chromedp.SendKeys(chromedp.CSS("#otp"), "000000"), chromedp.Click(chromedp.CSS("#submit")))
	step("enrolment in a sign-in", "#qr", chromedp.Navigate(e.webRP().authURL(newAuthRequest())),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#username"), "carol"), chromedp.SendKeys(chromedp.CSS("#password"), "carol-password-1"),
		chromedp.Click(chromedp.CSS("#submit")))
	// The mailed links: the reset request, its answer, the link's page.
	step("forgot password", "#email", chromedp.Navigate(e.webRP().authURL(newAuthRequest())),
		chromedp.WaitVisible(chromedp.CSS("#forgot")), chromedp.Click(chromedp.CSS("#forgot")))
	step("reset link sent", "#sent", chromedp.SendKeys(chromedp.CSS("#email"), aliceEmail), chromedp.Click(chromedp.CSS("#submit")))
	step("set password", "#new_password", chromedp.Navigate(mb.next(1).parse(t).link(t)))
	step("set password mismatch", "#error", chromedp.SendKeys(chromedp.CSS("#new_password"), "a-new-password-1"),
		chromedp.SendKeys(chromedp.CSS("#confirm_password"), "another-password-2"), chromedp.Click(chromedp.CSS("#submit")))
	if want := 39 * 4; checked != want {
		t.Errorf("checked %d page variants, want %d", checked, want)
	}
}
