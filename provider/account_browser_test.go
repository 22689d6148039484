package provider_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idp/idp/storage"
)

// headless starts a headless Chromium and returns a context for it that
// ends within a minute (so a hang fails fast), the browser with the test.
func headless(t *testing.T, exe string) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-proxy-server", true),
		chromedp.WindowSize(1024, 800),
	)
	t.Cleanup(cancelAlloc) // kills the process if still running, and waits for it
	root, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first Do starts the browser, which lives as long as its context:
	// no timeout on it, but a watchdog for a browser that never answers.
	watchdog := time.AfterFunc(30*time.Second, cancelAlloc)
	err := chromedp.Do(root)
	watchdog.Stop()
	if err != nil {
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	ctx, stop := context.WithTimeout(root, 60*time.Second)
	t.Cleanup(stop)
	return ctx
}

// waitSelector polls the page, across navigations, until it has loaded
// and sel matches.
func waitSelector(t *testing.T, ctx context.Context, step, sel string) {
	t.Helper()
	js := `document.readyState === "complete" && document.querySelector(` + strconv.Quote(sel) + `) !== null`
	for {
		// Errors are expected while a navigation replaces the document.
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			loc, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Location())
			t.Fatalf("%s: %s did not appear (at %s): %v", step, sel, loc, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestAccountSessionsInChromium: in a real browser, a member signs in at
// /account through the login page, opens the sessions page from the
// account navigation, sees this browser marked and their phone listed,
// and signs the phone out with its button, with no script at all.
func TestAccountSessionsInChromium(t *testing.T) {
	exe := chromium(t)
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		phone := e.browser().userAgent(safariPhone)
		e.accountSignIn(phone, "alice", alicePass)
		phoneSID := e.sessionsOf("alice")[0].ID

		ctx := headless(t, exe)
		do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
		text := func(sel string) string {
			t.Helper()
			s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
			if err != nil {
				t.Fatalf("read %s: %v", sel, err)
			}
			return s
		}
		do("open the account page", chromedp.Navigate(e.issuer+"/account"))
		waitSelector(t, ctx, "login page", "input[name=password]")
		do("sign in",
			chromedp.SendKeys(chromedp.CSS("input[name=username]"), "alice"),
			chromedp.SendKeys(chromedp.CSS("input[name=password]"), alicePass),
			chromedp.Click(chromedp.CSS("form button[type=submit]")),
		)
		waitSelector(t, ctx, "account page", `a[href="/account/sessions"]`)
		do("open the sessions page", chromedp.Click(chromedp.CSS(`a[href="/account/sessions"]`)))
		waitSelector(t, ctx, "sessions page", "#sessions")
		list := text("#sessions")
		if !strings.Contains(list, "Safari on iPhone") || !strings.Contains(list, "Chrome (headless) on Linux (this browser)") {
			t.Fatalf("sessions page lists:\n%s\nwant the phone and this browser, marked", list)
		}
		do("sign out the phone", chromedp.Click(chromedp.CSS(`li[data-session="`+phoneSID+`"] button`)))
		waitSelector(t, ctx, "after signing out the phone", "#notice")
		if notice, list := text("#notice"), text("#sessions"); !strings.Contains(notice, "signed out") || strings.Contains(list, "Safari") {
			t.Errorf("after signing out the phone: notice %q, list:\n%s", notice, list)
		}
		if !e.sessionGone(phoneSID) || len(e.sessionsOf("alice")) != 1 {
			t.Error("the phone's session is still there, or this browser's went too")
		}
		if pg := phone.get(e.issuer + "/account"); !pg.isLogin() {
			t.Error("the phone is still signed in")
		}
	})
}
