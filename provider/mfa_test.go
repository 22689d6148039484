package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/mfa"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// totpSecret is the TOTP secret the tests give members, as a bootstrap
// file's totp_secret would.
const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// factors is the second-factor rules over the env's store and secret, as
// the provider, the CLI and the bootstrap loader build them.
func (e *env) factors() *mfa.Factors {
	return mfa.New(e.store, e.secret, e.issuer, e.cfg.Now)
}

// giveTOTP gives the member with email a confirmed TOTP (totpSecret).
func (e *env) giveTOTP(email string) idp.Member {
	e.t.Helper()
	m := e.member(email)
	if err := e.factors().SetSecret(context.Background(), m.ID, totpSecret); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// totpCode is totpSecret's code at now+ahead.
func totpCode(t testing.TB, now time.Time, ahead time.Duration) string {
	t.Helper()
	return must(mfa.Code(totpSecret, now.Add(ahead)))
}

// isOTP reports whether pg is the second-factor page.
func (pg *page) isOTP() bool {
	return pg.resp.Request.URL.Path == "/login/otp" && strings.Contains(pg.body, `name="otp"`)
}

// passwordThenCode signs in through the login page and the second-factor
// page with code, allowing consent, and returns the redirect to the client.
func (b *browser) passwordThenCode(authURL, user, pass, code string) *url.URL {
	b.t.Helper()
	pg := b.get(authURL)
	if !pg.isLogin() {
		b.t.Fatalf("want the login page, got %d %s", pg.resp.StatusCode, pg.body)
	}
	pg = b.submit(pg, url.Values{"username": {user}, "password": {pass}}, "", "")
	if !pg.isOTP() {
		b.t.Fatalf("after the password: want the second-factor page, got %d %s %s", pg.resp.StatusCode, pg.resp.Request.URL, pg.body)
	}
	pg = b.submit(pg, url.Values{"otp": {code}}, "", "")
	if pg.isConsent() {
		pg = b.submit(pg, nil, "consent", "allow")
	}
	return pg.redirect(b.t)
}

// wantAssurance checks the ID token's amr and acr.
func wantAssurance(t testing.TB, claims map[string]any, acr string, amr ...string) {
	t.Helper()
	var got []string
	if list, ok := claims["amr"].([]any); ok {
		for _, v := range list {
			s, _ := v.(string)
			got = append(got, s)
		}
	}
	slices.Sort(got)
	want := slices.Clone(amr)
	slices.Sort(want)
	if !slices.Equal(got, want) || claims["acr"] != acr {
		t.Errorf("ID token amr %v acr %v, want amr %v acr %q", claims["amr"], claims["acr"], want, acr)
	}
}

// TestMFASignIn: a member with a TOTP signs in through go-oidc with the
// password and a code; the ID token says pwd, otp and mfa at the
// multi-factor acr, and a refreshed ID token says the same. A wrong code
// gets the form again with the one message, the code replayed in a new
// sign-in is refused, and a recovery code works once.
func TestMFASignIn(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		alice := e.giveTOTP(aliceEmail)
		r := e.webRP()
		b := e.browser()
		a := newAuthRequest()
		pg := b.submit(b.get(r.authURL(a)), url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isOTP() || findForm(pg.doc) == nil || attr(findForm(pg.doc), "method") != "post" {
			t.Fatalf("after the password: want the second-factor form, got %d %s", pg.resp.StatusCode, pg.body)
		}
		pg = b.submit(pg, url.Values{"otp": {"000000"}}, "", "")
		if !pg.isOTP() || !strings.Contains(pg.body, `role="alert"`) || !strings.Contains(pg.body, "incorrect") {
			t.Fatalf("wrong code: want the form again with the message, got %d %s", pg.resp.StatusCode, pg.body)
		}
		code := totpCode(t, time.Now(), 0)
		pg = b.submit(pg, url.Values{"otp": {code}}, "", "")
		if pg.isConsent() {
			pg = b.submit(pg, nil, "consent", "allow")
		}
		tok, claims := r.redeem(pg.redirect(t), a)
		wantAssurance(t, claims, idp.ACRMFA, idp.AMRPassword, idp.AMROTP, idp.AMRMFA)

		refreshed, err := r.oauth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		raw, _ := refreshed.Extra("id_token").(string)
		idt, err := r.verifier.Verify(context.Background(), raw)
		if err != nil {
			t.Fatalf("refreshed id token: %v", err)
		}
		var again map[string]any
		must(0, idt.Claims(&again))
		wantAssurance(t, again, idp.ACRMFA, idp.AMRPassword, idp.AMROTP, idp.AMRMFA)

		// The same code, in a new sign-in within its window: refused.
		b2 := e.browser()
		pg = b2.submit(b2.get(r.authURL(newAuthRequest())), url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		pg = b2.submit(pg, url.Values{"otp": {code}}, "", "")
		if !pg.isOTP() || !strings.Contains(pg.body, "incorrect") {
			t.Fatalf("replayed code: want the form again with the message, got %d %s", pg.resp.StatusCode, pg.body)
		}

		// A recovery code, in the same field: once.
		codes := must(e.factors().NewRecoveryCodes(context.Background(), alice.ID))
		if len(codes) != idp.RecoveryCodeCount {
			t.Fatalf("%d recovery codes, want %d", len(codes), idp.RecoveryCodeCount)
		}
		pg = b2.submit(pg, url.Values{"otp": {strings.ToUpper(codes[3])}}, "", "")
		if pg.isConsent() {
			pg = b2.submit(pg, nil, "consent", "allow")
		}
		if cb := pg.redirect(t); cb.Query().Get("code") == "" {
			t.Fatalf("recovery code: want a code at the client, got %s", cb)
		}
		b3 := e.browser()
		pg = b3.submit(b3.get(r.authURL(newAuthRequest())), url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		pg = b3.submit(pg, url.Values{"otp": {codes[3]}}, "", "")
		if !pg.isOTP() || !strings.Contains(pg.body, "incorrect") {
			t.Fatalf("recovery code used twice: want the form again, got %d %s", pg.resp.StatusCode, pg.body)
		}
		if n := must(e.factors().RecoveryCodesLeft(context.Background(), alice.ID)); n != idp.RecoveryCodeCount-1 {
			t.Errorf("recovery codes left = %d, want %d", n, idp.RecoveryCodeCount-1)
		}

		// A member without a second factor: pwd only, at the password acr.
		_, claims = r.signInAs(e.browser(), "bob", bobPass)
		wantAssurance(t, claims, idp.ACRPassword, idp.AMRPassword)
	})
}

// TestMFAStepUp: a session signed in with a password only serves an app
// that asks nothing more at once, and an app asking for the multi-factor
// acr (acr_values, or an essential acr claim) gets the second factor asked
// alone — not the password — with auth_time moving to the new sign-in.
// prompt=none cannot step up.
func TestMFAStepUp(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		c := &clock{}
		e := newEnv(t, open(t), func(cfg *provider.Config) { cfg.Now = c.now })
		r := e.web2RP()
		b1, b2 := e.browser(), e.browser()
		_, first := r.signInAs(b1, "alice", alicePass)
		r.signInAs(b2, "alice", alicePass)
		e.giveTOTP(aliceEmail)
		wantAssurance(t, first, idp.ACRPassword, idp.AMRPassword)
		_, claims := r.silent(b1)
		wantAssurance(t, claims, idp.ACRPassword, idp.AMRPassword)

		if got := r.authError(b1, oauth2.SetAuthURLParam("acr_values", idp.ACRMFA), oauth2.SetAuthURLParam("prompt", "none")); got != "login_required" {
			t.Errorf("step-up with prompt=none: error %q, want login_required", got)
		}

		c.advance(3 * time.Second)
		for _, tc := range []struct {
			name string
			b    *browser
			opt  oauth2.AuthCodeOption
			code string
		}{
			{"acr_values", b1, oauth2.SetAuthURLParam("acr_values", idp.ACRMFA), totpCode(t, c.now(), 0)},
			{"claims", b2, oauth2.SetAuthURLParam("claims", `{"id_token":{"acr":{"essential":true,"values":["`+idp.ACRMFA+`"]}}}`),
				totpCode(t, c.now(), 30*time.Second)},
		} {
			name := tc.name
			a := newAuthRequest(tc.opt)
			pg := tc.b.get(r.authURL(a))
			if !pg.isOTP() {
				t.Fatalf("%s: step-up on a password session: want the second-factor page alone, got %d %s %s", name, pg.resp.StatusCode, pg.resp.Request.URL, pg.body)
			}
			_, claims := r.redeem(tc.b.submit(pg, url.Values{"otp": {tc.code}}, "", "").redirect(t), a)
			wantAssurance(t, claims, idp.ACRMFA, idp.AMRPassword, idp.AMROTP, idp.AMRMFA)
			if at, at0 := claims["auth_time"].(float64), first["auth_time"].(float64); at <= at0 {
				t.Errorf("%s: auth_time %v after the step-up, not after the first sign-in %v", name, at, at0)
			}
		}
		// The session now has both factors: SSO reuses them.
		_, claims = r.silent(b1, oauth2.SetAuthURLParam("acr_values", idp.ACRMFA))
		wantAssurance(t, claims, idp.ACRMFA, idp.AMRPassword, idp.AMROTP, idp.AMRMFA)

		// A member without a second factor who asks for it is not made to
		// enrol; the acr says what they got.
		_, claims = r.signInAs(e.browser(), "bob", bobPass, oauth2.SetAuthURLParam("acr_values", idp.ACRMFA))
		wantAssurance(t, claims, idp.ACRPassword, idp.AMRPassword)
	})
}

// TestMFAMaxAge: max_age and prompt=login ask every factor again, not
// only the password.
func TestMFAMaxAge(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		// fosite checks auth_time against the real clock: the provider's
		// runs behind it, and moves on by whole TOTP steps.
		c := &clock{}
		c.advance(-3 * time.Minute)
		e := newEnv(t, open(t), func(cfg *provider.Config) { cfg.Now = c.now })
		e.giveTOTP(aliceEmail)
		r := e.web2RP()
		b := e.browser()
		a := newAuthRequest()
		_, first := r.redeem(b.passwordThenCode(r.authURL(a), "alice", alicePass, totpCode(t, c.now(), 0)), a)
		for i, opt := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("max_age", "1"), oauth2.SetAuthURLParam("prompt", "login")} {
			c.advance(31 * time.Second)
			a := newAuthRequest(opt)
			_, claims := r.redeem(b.passwordThenCode(r.authURL(a), "alice", alicePass, totpCode(t, c.now(), 0)), a)
			wantAssurance(t, claims, idp.ACRMFA, idp.AMRPassword, idp.AMROTP, idp.AMRMFA)
			if claims["auth_time"].(float64) <= first["auth_time"].(float64) {
				t.Errorf("request %d: auth_time did not move", i)
			}
		}
	})
}

// enrolInFlow follows the enrolment page of a sign-in: it reads the key
// from the page, fetches the QR code image, confirms with a code and
// continues past the recovery codes. It returns the next page.
func (b *browser) enrolInFlow(pg *page, now time.Time) *page {
	b.t.Helper()
	if pg.resp.Request.URL.Path != "/login/otp/enrol" {
		b.t.Fatalf("want the enrolment page, got %d %s %s", pg.resp.StatusCode, pg.resp.Request.URL, pg.body)
	}
	secret := textOf(b.t, pg, "secret")
	img := findByID(pg.doc, "qr")
	if img == nil {
		b.t.Fatalf("no QR code on the enrolment page: %s", pg.body)
	}
	src := must(pg.resp.Request.URL.Parse(attr(img, "src")))
	qr := b.get(src.String())
	if qr.resp.StatusCode != http.StatusOK || qr.resp.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(qr.body, "\x89PNG") {
		b.t.Fatalf("QR code image: %d %s", qr.resp.StatusCode, qr.resp.Header.Get("Content-Type"))
	}
	pg = b.submit(pg, url.Values{"otp": {must(mfa.Code(secret, now))}}, "", "")
	codes := findByID(pg.doc, "recovery-codes")
	if codes == nil || strings.Count(pg.body, "<li><code>") != idp.RecoveryCodeCount {
		b.t.Fatalf("after confirming: want %d recovery codes, got %d %s", idp.RecoveryCodeCount, pg.resp.StatusCode, pg.body)
	}
	return b.submit(pg, nil, "", "")
}

// TestMFARequired: a member with mfa_required, a member of a role the
// provider requires it for, and anyone signing in to a client with
// require_mfa enrol an authenticator inside the sign-in before they
// continue, and give a code from then on; an SSO session with a password
// only does not let them past either.
func TestMFARequired(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t), func(c *provider.Config) { c.RequireMFAForRoles = []idp.Role{idp.RoleAdmin} })
		e.addClient(idp.Client{
			ID: "strict", Name: "Strict App", RedirectURIs: []string{"http://strict.localhost/cb"},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}, SkipConsent: true, RequireMFA: true,
		}, webSecret)
		carol := e.addMember("carol@example.com", "carol", "Carol", "carol-password-1", idp.RoleMember)
		carol.MFARequired = true
		must(0, e.store.Members.Update(context.Background(), carol))
		r := e.web2RP()

		for _, who := range []struct{ user, pass string }{{"carol", "carol-password-1"}, {"alice", alicePass}} {
			b := e.browser()
			a := newAuthRequest()
			pg := b.submit(b.get(r.authURL(a)), url.Values{"username": {who.user}, "password": {who.pass}}, "", "")
			_, claims := r.redeem(b.enrolInFlow(pg, time.Now()).redirect(t), a)
			wantAssurance(t, claims, idp.ACRMFA, idp.AMRPassword, idp.AMROTP, idp.AMRMFA)
			// From now on they have a factor: the code page, not enrolment.
			b2 := e.browser()
			pg = b2.submit(b2.get(r.authURL(newAuthRequest())), url.Values{"username": {who.user}, "password": {who.pass}}, "", "")
			if !pg.isOTP() {
				t.Errorf("%s after enrolling: want the code page, got %s", who.user, pg.resp.Request.URL)
			}
		}

		// bob has no obligation; the strict client requires a factor, also
		// of his password-only SSO session.
		b := e.browser()
		_, claims := r.signInAs(b, "bob", bobPass)
		wantAssurance(t, claims, idp.ACRPassword, idp.AMRPassword)
		strict := e.rp("strict", webSecret, "http://strict.localhost/cb", "openid")
		a := newAuthRequest()
		pg := b.get(strict.authURL(a))
		_, claims = strict.redeem(b.enrolInFlow(pg, time.Now()).redirect(t), a)
		wantAssurance(t, claims, idp.ACRMFA, idp.AMRPassword, idp.AMROTP, idp.AMRMFA)
	})
}

// findByID returns the element with the id, or nil.
func findByID(n *htmlNode, id string) *htmlNode {
	if n == nil {
		return nil
	}
	if attr(n, "id") == id {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findByID(c, id); f != nil {
			return f
		}
	}
	return nil
}

// textOf is the text inside the element with the id.
func textOf(t testing.TB, pg *page, id string) string {
	t.Helper()
	n := findByID(pg.doc, id)
	if n == nil {
		t.Fatalf("no element %q on the page: %s", id, pg.body)
	}
	var sb strings.Builder
	var walk func(*htmlNode)
	walk = func(n *htmlNode) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(sb.String())
}
