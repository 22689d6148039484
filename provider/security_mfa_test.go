package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/storage"
)

// pendingOTP signs alice (who has a TOTP) in with her password only and
// returns the second-factor page and its flow id.
func (e *env) pendingOTP(b *browser, authURL string) (*page, string) {
	e.t.Helper()
	pg := b.submit(b.get(authURL), url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
	if !pg.isOTP() {
		e.t.Fatalf("after the password: want the second-factor page, got %d %s", pg.resp.StatusCode, pg.body)
	}
	return pg, pg.shared().Hidden(e.t, "flow")
}

// TestSecurityMFANoSkip: an attacker who knows the password and not the
// code cannot skip the second step: not by going to the consent page with
// the pending flow (GET or POST with the page's own CSRF token), not by a
// new authorization request (no session exists yet), and not at the
// device question.
func TestSecurityMFANoSkip(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.giveTOTP(aliceEmail)
		r := e.webRP()
		b := e.browser()
		otp, flow := e.pendingOTP(b, r.authURL(newAuthRequest()))

		if pg := b.get(e.issuer + "/consent?flow=" + url.QueryEscape(flow)); pg.isConsent() || pg.resp.StatusCode < 400 {
			t.Errorf("consent page of a pending flow: got %d %s", pg.resp.StatusCode, pg.body)
		}
		form := idptest.HiddenFields(findForm(otp.doc))
		form.Set("consent", "allow")
		pg := pageOf(b.shared.Post(e.issuer+"/consent", form))
		if pg.resp.StatusCode < 400 || pg.resp.Request.URL.Host != otp.resp.Request.URL.Host {
			t.Errorf("consent allowed on a pending flow: %d %s", pg.resp.StatusCode, pg.resp.Request.URL)
		}
		if pg := b.get(r.authURL(newAuthRequest())); !pg.isLogin() {
			t.Errorf("a new request after the password alone: want the login page, got %d %s %s", pg.resp.StatusCode, pg.resp.Request.URL, pg.body)
		}
		if pg := b.get(e.issuer + "/account"); !pg.isLogin() {
			t.Errorf("/account after the password alone: want the login page, got %d %s", pg.resp.StatusCode, pg.resp.Request.URL)
		}
		if pg := b.get(e.issuer + "/device/consent?flow=" + url.QueryEscape(flow)); pg.resp.StatusCode < 400 {
			t.Errorf("device question on a pending flow: got %d %s", pg.resp.StatusCode, pg.body)
		}
	})
}

// TestSecurityMFAFlowReuse: a finished second step cannot be replayed:
// the flow is no longer pending, and its code page and form are refused;
// the enrolment pages refuse a flow that is not pending too.
func TestSecurityMFAFlowReuse(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.giveTOTP(aliceEmail)
		r := e.webRP()
		b := e.browser()
		otp, flow := e.pendingOTP(b, r.authURL(newAuthRequest()))
		done := b.submit(otp, url.Values{"otp": {totpCode(t, time.Now(), 0)}}, "", "")
		if !done.isConsent() {
			t.Fatalf("after the code: want consent, got %d %s", done.resp.StatusCode, done.body)
		}
		again := b.submit(otp, url.Values{"otp": {totpCode(t, time.Now(), 30*time.Second)}}, "", "")
		if again.resp.StatusCode < 400 || again.isConsent() {
			t.Errorf("second-factor form posted again on a signed-in flow: %d %s", again.resp.StatusCode, again.body)
		}
		for _, path := range []string{"/login/otp", "/login/otp/enrol", "/login/otp/qr"} {
			if pg := b.get(e.issuer + path + "?flow=" + url.QueryEscape(flow)); pg.resp.StatusCode < 400 {
				t.Errorf("%s on a flow that is not pending: %d", path, pg.resp.StatusCode)
			}
		}
		// A flow that never passed a password is not pending either.
		b2 := e.browser()
		login := b2.get(r.authURL(newAuthRequest()))
		f2 := login.shared().Hidden(t, "flow")
		if pg := b2.get(e.issuer + "/login/otp?flow=" + url.QueryEscape(f2)); pg.resp.StatusCode < 400 || pg.isOTP() {
			t.Errorf("code page of a flow with no password passed: %d", pg.resp.StatusCode)
		}
		form := idptest.HiddenFields(findForm(login.doc))
		form.Set("otp", totpCode(t, time.Now(), 30*time.Second))
		if pg := pageOf(b2.shared.Post(e.issuer+"/login/otp", form)); pg.resp.StatusCode < 400 || pg.isConsent() {
			t.Errorf("code posted on a flow with no password passed: %d %s", pg.resp.StatusCode, pg.body)
		}
	})
}

// TestSecurityMFAOtherBrowser: a pending flow's id, leaked to another
// browser, is useless there: the code page and form answer that the
// sign-in belongs to another browser, even with a right code.
func TestSecurityMFAOtherBrowser(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.giveTOTP(aliceEmail)
		otp, flow := e.pendingOTP(e.browser(), e.webRP().authURL(newAuthRequest()))
		thief := e.browser()
		if pg := thief.get(e.issuer + "/login/otp?flow=" + url.QueryEscape(flow)); pg.resp.StatusCode != http.StatusForbidden {
			t.Errorf("pending flow in another browser: %d, want 403", pg.resp.StatusCode)
		}
		form := idptest.HiddenFields(findForm(otp.doc))
		form.Set("otp", totpCode(t, time.Now(), 0))
		if pg := pageOf(thief.shared.Post(e.issuer+"/login/otp", form)); pg.resp.StatusCode != http.StatusForbidden || pg.isConsent() {
			t.Errorf("code posted from another browser: %d, want 403", pg.resp.StatusCode)
		}
	})
}

// TestSecurityMFABruteForce: codes are throttled like passwords, per
// member and address: after the limit even the right code is refused,
// and entering the right password again gives no fresh guesses.
func TestSecurityMFABruteForce(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.giveTOTP(aliceEmail)
		r := e.webRP()
		b := e.browser()
		pg, _ := e.pendingOTP(b, r.authURL(newAuthRequest()))
		for i := range accountLimit {
			pg = b.submit(pg, url.Values{"otp": {"00000" + string(rune('0'+i%10))}}, "", "")
			if pg.resp.StatusCode != http.StatusOK || !pg.isOTP() {
				t.Fatalf("wrong code %d: %d %s", i, pg.resp.StatusCode, pg.body)
			}
		}
		pg = b.submit(pg, url.Values{"otp": {totpCode(t, time.Now(), 0)}}, "", "")
		if pg.resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(pg.body, answerThrottled) || pg.resp.Header.Get("Retry-After") == "" {
			t.Fatalf("right code after %d wrong ones: %d %s, want 429 with Retry-After", accountLimit, pg.resp.StatusCode, pg.body)
		}
		// The password again: accepted, but the code is still throttled.
		pg, _ = e.pendingOTP(b, r.authURL(newAuthRequest()))
		pg = b.submit(pg, url.Values{"otp": {totpCode(t, time.Now(), 0)}}, "", "")
		if pg.resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("right code after the password again: %d, want 429", pg.resp.StatusCode)
		}
	})
}

// TestSecurityMFADeviceStepUp: a device client that requires a second
// factor is not answered on a password-only SSO session: the code page
// leads to the second factor first, and only then to the question.
func TestSecurityMFADeviceStepUp(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, c := deviceEnv(t, open)
		tv, err := e.store.Clients.ByID(t.Context(), "tv")
		if err != nil {
			t.Fatal(err)
		}
		tv.RequireMFA = true
		must(0, e.store.Clients.Update(t.Context(), tv))
		b := e.browser()
		e.webRP().signInAs(b, "alice", alicePass) // password only
		e.giveTOTP(aliceEmail)
		_, start := e.mustDeviceStart("tv", "", "openid")
		pg := b.enterCode(start, true)
		if pg.isDeviceConsent() || !pg.isOTP() {
			t.Fatalf("device code on a password-only session: want the second factor, got %d %s", pg.resp.StatusCode, pg.resp.Request.URL)
		}
		pg = b.submit(pg, url.Values{"otp": {totpCode(t, c.now(), 0)}}, "", "")
		if !pg.isDeviceConsent() {
			t.Fatalf("after the code: want the device question, got %d %s", pg.resp.StatusCode, pg.body)
		}
	})
}
