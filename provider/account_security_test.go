package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idp/idp"
	"github.com/idp/idp/mfa"
	"github.com/idp/idp/storage"
)

// TestAccountSecurity: on /account/security a member enrols an
// authenticator (key as text and as a QR image, confirmed by a code
// before it counts), sees their recovery codes once and how many are
// left, replaces them, and turns the authenticator off only with a
// current code or their password; a form without its CSRF token changes
// nothing. Every change is audited.
func TestAccountSecurity(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		bob := e.member("bob@example.com")
		b := e.browser()
		pg := b.submit(b.get(e.issuer+"/account/security"), url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
		if pg.resp.Request.URL.Path != "/account/security" || !strings.Contains(pg.body, "Two-step verification is off") {
			t.Fatalf("security page: %d %s %s", pg.resp.StatusCode, pg.resp.Request.URL, pg.body)
		}
		enrol := b.submit(pg, nil, "", "") // "Set up an authenticator app"
		secret := textOf(t, enrol, "secret")
		qr := b.get(e.issuer + attr(findByID(enrol.doc, "qr"), "src"))
		if qr.resp.StatusCode != http.StatusOK || qr.resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("QR code: %d %s", qr.resp.StatusCode, qr.resp.Header.Get("Content-Type"))
		}
		if methods := must(e.factors().Methods(t.Context(), bob.ID)); len(methods) != 0 {
			t.Fatalf("a pending enrolment counts as a factor: %v", methods)
		}
		if again := b.get(e.issuer + "/account/security/totp"); textOf(t, again, "secret") != secret {
			t.Error("reloading the enrolment page changed the key")
		}
		bad := b.submit(enrol, url.Values{"otp": {"000000"}}, "", "")
		if !strings.Contains(bad.body, `role="alert"`) || must(e.factors().Methods(t.Context(), bob.ID)) != nil {
			t.Fatalf("wrong code: want the message and no factor, got %s", bad.body)
		}
		codes := b.submit(bad, url.Values{"otp": {must(mfa.Code(secret, time.Now()))}}, "", "")
		if strings.Count(codes.body, "<li><code>") != idp.RecoveryCodeCount {
			t.Fatalf("after confirming: want the recovery codes, got %s", codes.body)
		}
		old := textOf(t, codes, "recovery-codes")
		pg = b.submit(codes, nil, "", "")
		if !strings.Contains(pg.body, "is on") || !strings.Contains(pg.body, "Recovery codes left: 10") {
			t.Fatalf("security page after enrolling: %s", pg.body)
		}

		// Without the CSRF token nothing changes.
		if r := pageOf(b.shared.Post(e.issuer+"/account/security/totp/remove", url.Values{"proof": {bobPass}})); r.resp.StatusCode != http.StatusForbidden {
			t.Errorf("remove without CSRF: %d, want 403", r.resp.StatusCode)
		}
		newCodes := b.submit(pg, nil, "", "") // "Get new recovery codes"
		if strings.Count(newCodes.body, "<li><code>") != idp.RecoveryCodeCount || textOf(t, newCodes, "recovery-codes") == old {
			t.Fatalf("new recovery codes: %s", newCodes.body)
		}
		first := strings.Fields(old)[0]
		if _, err := e.factors().Check(t.Context(), bob.ID, first); err == nil {
			t.Error("an old recovery code still works after replacing them")
		}

		pg = b.get(e.issuer + "/account/security")
		remove := func(proof string) *page {
			t.Helper()
			vals := url.Values{"proof": {proof}, "csrf_token": {pg.shared().Hidden(t, "csrf_token")}}
			return pageOf(b.shared.Post(e.issuer+"/account/security/totp/remove", vals))
		}
		if r := remove("wrong-password"); !strings.Contains(r.body, "Nothing was changed") || must(e.factors().Methods(t.Context(), bob.ID)) == nil {
			t.Fatalf("remove with a wrong proof: %s", r.body)
		}
		if r := remove(bobPass); !strings.Contains(r.body, "is off") || must(e.factors().Methods(t.Context(), bob.ID)) != nil {
			t.Fatalf("remove with the password: %s", r.body)
		}
		var types []string
		events, _, err := e.store.Audit.List(t.Context(), storage.AuditQuery{MemberID: bob.ID, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			types = append(types, string(ev.Type))
		}
		for _, want := range []idp.AuditType{idp.AuditMFAEnrolled, idp.AuditMFARecoveryCodes, idp.AuditMFARemoved} {
			if !strings.Contains(strings.Join(types, " "), string(want)) {
				t.Errorf("audit trail %v lacks %s", types, want)
			}
		}
	})
}

// TestAccountSecurityChromium: enrolment on the account page in a real
// Chromium: the QR image loads under the provider's CSP, the key is read
// from the page, the code computed from it confirms the enrolment, the
// recovery codes show, and the next sign-in asks for a code.
func TestAccountSecurityChromium(t *testing.T) {
	exe := chromium(t)
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		ctx := launch(t, exe)
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
		run("sign in",
			chromedp.Navigate(e.issuer+"/account/security"),
			chromedp.WaitVisible(chromedp.CSS("input[name=password]")),
			chromedp.SendKeys(chromedp.CSS("input[name=username]"), "bob"),
			chromedp.SendKeys(chromedp.CSS("input[name=password]"), bobPass),
			chromedp.Click(chromedp.CSS("#submit")),
			chromedp.WaitVisible(chromedp.CSS("#enrol")),
			chromedp.Click(chromedp.CSS("#enrol")),
			chromedp.WaitVisible(chromedp.CSS("#secret")),
		)
		secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#secret")))
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
			`new Promise(ok => { const i = document.querySelector("#qr"); if (i.complete) ok(i.naturalWidth > 0); else { i.onload = () => ok(true); i.onerror = () => ok(false); } })`,
			chromedp.EvalAwaitPromise))
		if err != nil || !loaded {
			t.Fatalf("QR image did not load: %v, %v", loaded, err)
		}
		code := must(mfa.Code(strings.TrimSpace(secret), time.Now()))
		run("confirm",
			chromedp.SendKeys(chromedp.CSS("input[name=otp]"), code),
			chromedp.Click(chromedp.CSS("#submit")),
			chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
		)
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#recovery-codes li").length`))
		if err != nil || n != idp.RecoveryCodeCount {
			t.Fatalf("recovery codes shown: %d, %v", n, err)
		}
		run("back", chromedp.Click(chromedp.CSS("#continue")), chromedp.WaitVisible(chromedp.CSS("#recovery-left")))
		status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#totp-status")))
		if !strings.Contains(status, "is on") {
			t.Errorf("security page says %q", status)
		}
		b := e.browser()
		pg := b.submit(b.get(e.webRP().authURL(newAuthRequest())), url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
		if !pg.isOTP() {
			t.Errorf("after enrolling in Chromium, the next sign-in: %s", pg.resp.Request.URL)
		}
	})
}

// launch starts a headless Chromium for the test and returns its context.
func launch(t *testing.T, exe string) context.Context { return launchHeadless(t, exe) }
