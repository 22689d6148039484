package provider_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idp/idp/storage"
)

// TestConsoleChromium drives the admin console in a real headless
// Chromium at desktop and phone width, with no script of ours: the
// administrator signs in, adds a member, edits a client and rotates a
// secret, reading it on the one page that shows it. At both widths the
// page does not scroll sideways and the keyboard focus is visible.
func TestConsoleChromium(t *testing.T) {
	exe := chromium(t)
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		for _, vp := range []struct {
			name          string
			width, height int64
			mobile        bool
		}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
			t.Run(vp.name, func(t *testing.T) {
				e := newEnv(t, open(t))
				ctx := chromiumContext(t, exe)
				opts := []chromedp.EmulateViewportOption{}
				if vp.mobile {
					opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
				}
				css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
				sideways := chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)
				do(t, ctx, "sign in",
					chromedp.EmulateViewport(vp.width, vp.height, opts...),
					chromedp.Navigate(e.issuer+"/admin"),
					chromedp.WaitVisible(css(`input[name=password]`)),
					chromedp.SendKeys(css(`input[name=username]`), "alice"),
					chromedp.SendKeys(css(`input[name=password]`), alicePass),
					chromedp.Submit(css(`input[name=password]`)),
					chromedp.WaitVisible(css(`nav.console`)),
				)
				if h := get(t, ctx, "heading", chromedp.Text(css(`h1`))); h != "Members" {
					t.Fatalf("after sign-in: heading %q, want Members", h)
				}
				if get(t, ctx, "width", sideways) {
					t.Errorf("the members page scrolls sideways at %s width", vp.name)
				}
				do(t, ctx, "keyboard focus", chromedp.KeyEvent("\t"))
				outline := get(t, ctx, "focus style", chromedp.Evaluate[string](
					`document.activeElement.tagName + " " + getComputedStyle(document.activeElement).outlineStyle`))
				if strings.HasSuffix(outline, " none") || strings.HasPrefix(outline, "BODY") {
					t.Errorf("the first Tab stop shows no focus outline: %q", outline)
				}

				do(t, ctx, "add a member",
					chromedp.Click(css(`a[href="/admin/members/new"]`)),
					chromedp.WaitVisible(css(`#email`)),
					chromedp.SendKeys(css(`#name`), "Erin Example"),
					chromedp.SendKeys(css(`#email`), "erin@example.com"),
					chromedp.SendKeys(css(`#username`), "erin"),
					chromedp.SendKeys(css(`#password`), "erin-password-1"),
					chromedp.Submit(css(`#password`)),
					chromedp.WaitVisible(css(`.notice`)),
				)
				if n := get(t, ctx, "notice", chromedp.Text(css(`.notice`))); n != "Added." || e.member("erin@example.com").Name != "Erin Example" {
					t.Fatalf("adding a member: notice %q", n)
				}

				do(t, ctx, "edit a client",
					chromedp.Navigate(e.issuer+"/admin/clients/web"),
					chromedp.WaitVisible(css(`#name`)),
					chromedp.SetValue(css(`#name`), "Web App Renamed"),
					chromedp.Click(css(`form[action="/admin/clients/web"] button[type=submit]`)),
					chromedp.WaitVisible(css(`.notice`)),
				)
				if n := get(t, ctx, "notice", chromedp.Text(css(`.notice`))); n != "Saved." ||
					must(e.store.Clients.ByID(context.Background(), "web")).Name != "Web App Renamed" {
					t.Fatalf("editing a client: notice %q", n)
				}
				if get(t, ctx, "width", sideways) {
					t.Errorf("the client form scrolls sideways at %s width", vp.name)
				}

				do(t, ctx, "rotate a secret",
					chromedp.Navigate(e.issuer+"/admin/clients/svc"),
					chromedp.Click(css(`form[action="/admin/clients/svc/secret"] button`)),
					chromedp.WaitVisible(css(`#secret`)),
				)
				secret := get(t, ctx, "secret", chromedp.Value(css(`#secret`)))
				if secret == "" || e.clientToken("svc", secret) == "" {
					t.Fatalf("the secret read from the page (%d characters) does not work", len(secret))
				}
				do(t, ctx, "client page again", chromedp.Navigate(e.issuer+"/admin/clients/svc"), chromedp.WaitVisible(css(`#name`)))
				if later := get(t, ctx, "page", chromedp.OuterHTML(css(`html`))); strings.Contains(later, secret) {
					t.Fatal("the secret is shown again")
				}
			})
		}
	})
}

// do runs steps with a deadline, failing the test with the step's name.
func do(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// get runs one action that reads a value, with a deadline.
func get[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// chromiumContext starts a headless Chromium with a fresh profile for the
// test, closed at its end.
func chromiumContext(t *testing.T, exe string) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		closeCtx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		_ = chromedp.Cancel(closeCtx)
		cancel()
	})
	watchdog := time.AfterFunc(30*time.Second, cancelAlloc)
	defer watchdog.Stop()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}
