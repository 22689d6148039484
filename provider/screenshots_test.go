package provider_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
)

// TestScreenshots takes a full-page PNG of every page a member or an
// administrator sees, at desktop (1280 px) and phone (390 px) width, into
// the directory IDP_SCREENSHOTS names, as <page>-desktop.png and
// <page>-phone.png. It only runs when IDP_SCREENSHOTS is set:
//
//	IDP_SCREENSHOTS=docs/screenshots go test ./provider/ -run TestScreenshots
//
// (a relative directory is taken from the repository's root). The pages
// show real content: a provider on SQLite with a brand name, members with
// a profile and a second factor, sessions, a consent and audit events.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("IDP_SCREENSHOTS")
	if dir == "" {
		t.Skip("set IDP_SCREENSHOTS=<dir> to take screenshots of every page")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // go test runs in provider/
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := chromium(t)
	e := newEnv(t, openSQLite(t), withMail(newMailbox(t)), func(c *provider.Config) { c.BrandName = "Example Org" })
	ctx0 := context.Background()

	// alice (administrator) has a profile, a phone session, a consent to
	// the web app and her activity; bob has an authenticator app; carol
	// must set one up when she signs in.
	alice := e.member("alice")
	alice.Profile = idp.Profile{
		GivenName: "Alice", FamilyName: "Example", Nickname: "Ali", Website: "https://alice.example.com",
		Birthdate: "1990-04-01", Zoneinfo: "Europe/London", Locale: "en-GB", PhoneNumber: "+442071838750",
		Address: &idp.Address{StreetAddress: "1 High Street", Locality: "London", PostalCode: "EC1A 1AA", Country: "GB"},
	}
	must(0, e.store.Members.Update(ctx0, alice))
	e.giveTOTP("bob@example.com")
	carol := e.addMember("carol@example.com", "carol", "Carol Example", "carol-password-1", idp.RoleMember)
	carol.MFARequired = true
	must(0, e.store.Members.Update(ctx0, carol))
	e.addMember("dave@example.com", "dave", "Dave Example", "dave-password-1", idp.RoleMember)
	e.accountSignIn(e.browser().userAgent(safariPhone), "alice", alicePass)
	e.signedIn(e.webRP("openid", "profile", "email"), e.browser())
	wrong := e.browser()
	wrong.submit(wrong.get(e.issuer+"/account"), url.Values{"username": {"alice"}, "password": {"not-her-password"}}, "", "")
	e.addClient(idp.Client{
		ID: "tv", Name: "Living Room TV", GrantTypes: []string{idp.GrantDeviceCode},
		Scopes: []string{"openid", "profile"},
	}, "")
	_, device := e.mustDeviceStart("tv", "", "openid profile")

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	// shot saves the page the browser shows at both widths.
	shot := func(ctx context.Context, name string) {
		t.Helper()
		for _, vp := range []struct {
			suffix        string
			width, height int64
			opts          []chromedp.EmulateViewportOption
		}{
			{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile}},
			{"desktop", 1280, 800, nil},
		} {
			do(t, ctx, name+" at "+vp.suffix+" width", chromedp.EmulateViewport(vp.width, vp.height, vp.opts...),
				chromedp.Sleep(150*time.Millisecond))
			raw := get(t, ctx, name+" screenshot", chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(dir, name+"-"+vp.suffix+".png"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// wait waits up to 30 seconds for sel on the current page.
	wait := func(ctx context.Context, step, sel string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		waitSelector(t, ctx, step, sel)
	}
	// open navigates to path and waits for sel.
	open := func(ctx context.Context, path, sel string) {
		t.Helper()
		do(t, ctx, "open "+path, chromedp.Navigate(e.issuer+path))
		wait(ctx, path, sel)
	}
	signIn := func(ctx context.Context, user, pass string) {
		t.Helper()
		do(t, ctx, "sign in as "+user,
			chromedp.SetValue(css(`input[name=username]`), user),
			chromedp.SetValue(css(`input[name=password]`), pass),
			chromedp.Submit(css(`input[name=password]`)),
		)
	}

	// carol: the login page, a failed sign-in, and enrolment in the flow.
	ctx := chromiumContext(t, exe)
	web2 := e.rp("web2", webSecret, "http://rp2.localhost/callback", "openid", "profile")
	do(t, ctx, "desktop", chromedp.EmulateViewport(1280, 800))
	do(t, ctx, "authorize", chromedp.Navigate(web2.authURL(newAuthRequest())))
	wait(ctx, "login page", `input[name=password]`)
	shot(ctx, "login")
	signIn(ctx, "carol", "wrong-password-1")
	wait(ctx, "failed login", `[role=alert]`)
	shot(ctx, "login-failed")
	signIn(ctx, "carol", "carol-password-1")
	wait(ctx, "enrolment", `#qr`)
	shot(ctx, "otp-enrol")

	// bob: the second factor, consent, logout and the device page.
	ctx = chromiumContext(t, exe)
	do(t, ctx, "desktop", chromedp.EmulateViewport(1280, 800))
	do(t, ctx, "authorize", chromedp.Navigate(e.webRP("openid", "profile", "email").authURL(newAuthRequest())))
	wait(ctx, "login page", `input[name=password]`)
	signIn(ctx, "bob", bobPass)
	wait(ctx, "second factor", `input[name=otp]`)
	shot(ctx, "otp")
	do(t, ctx, "code",
		chromedp.SetValue(css(`input[name=otp]`), totpCode(t, time.Now(), 0)),
		chromedp.Submit(css(`input[name=otp]`)))
	wait(ctx, "consent", `button[value=allow]`)
	shot(ctx, "consent")
	open(ctx, "/device?user_code="+url.QueryEscape(device["user_code"].(string)), `form[action="/device"]`)
	shot(ctx, "device")
	open(ctx, "/oauth2/logout", `#confirm`)
	shot(ctx, "logout")
	do(t, ctx, "sign out", chromedp.Click(css(`#confirm`)))
	wait(ctx, "signed out", `#signed-out`)
	shot(ctx, "signed-out")
	open(ctx, "/oauth2/authorize?client_id=nobody&response_type=code&scope=openid", `h1`)
	shot(ctx, "error")

	// alice: the account pages and the console.
	ctx = chromiumContext(t, exe)
	do(t, ctx, "desktop", chromedp.EmulateViewport(1280, 800))
	open(ctx, "/account", `#forgot`)
	do(t, ctx, "forgot password", chromedp.Click(css(`#forgot`)))
	wait(ctx, "forgot password", `input[name=email]`)
	shot(ctx, "forgot-password")
	open(ctx, "/account", `input[name=password]`)
	signIn(ctx, "alice", alicePass)
	wait(ctx, "account", `a[href="/account/sessions"]`)
	for _, p := range []struct{ name, path, sel string }{
		{"account", "/account", `a[href="/account/sessions"]`},
		{"account-profile", "/account/profile", `form`},
		{"account-email", "/account/email", `form`},
		{"account-password", "/account/password", `form`},
		{"account-security", "/account/security", `#enrol`},
		{"account-security-totp", "/account/security/totp", `#qr`},
		{"account-passkeys", "/account/passkeys", `h1`},
		{"account-sessions", "/account/sessions", `#sessions`},
		{"account-apps", "/account/apps", `h1`},
		{"account-activity", "/account/activity", `h1`},
		{"console-members", "/admin/members", `nav.console`},
		{"console-member", "/admin/members/" + e.member("bob").ID, `nav.console`},
		{"console-clients", "/admin/clients", `nav.console`},
		{"console-client", "/admin/clients/web", `#name`},
		{"console-sessions", "/admin/sessions", `nav.console`},
		{"console-audit", "/admin/audit", `nav.console`},
		{"console-keys", "/admin/keys", `nav.console`},
	} {
		open(ctx, p.path, p.sel)
		shot(ctx, p.name)
	}
	open(ctx, "/admin/clients/svc", `form[action="/admin/clients/svc/secret"] button`)
	do(t, ctx, "rotate the secret", chromedp.Click(css(`form[action="/admin/clients/svc/secret"] button`)))
	wait(ctx, "secret", `#secret`)
	// The picture shows where the secret appears, not a real one: a
	// secret-shaped string in the repository would be a secret to scanners.
	do(t, ctx, "mask the secret", chromedp.SetValue(css(`#secret`), strings.Repeat("•", 43)))
	shot(ctx, "console-secret")
}
