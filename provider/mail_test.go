package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

const newPass = "a-brand-new-password-1"

// forgot follows the login page's "Forgot your password?" link in an app's
// sign-in and asks for a link to email; it returns the answer page.
func (e *env) forgot(b *browser, email string) *page {
	e.t.Helper()
	login := b.get(e.webRP().authURL(newAuthRequest()))
	if !login.isLogin() {
		e.t.Fatalf("want the login page, got %d %s", login.resp.StatusCode, login.body)
	}
	href := linkHref(e.t, login, "forgot")
	form := b.get(e.issuer + href)
	if form.resp.StatusCode != http.StatusOK || !strings.Contains(form.body, `name="email"`) {
		e.t.Fatalf("forgot page: %d %s", form.resp.StatusCode, form.body)
	}
	return b.submit(form, url.Values{"email": {email}}, "", "")
}

// linkHref is the href of the element with id on the page.
func linkHref(t testing.TB, pg *page, id string) string {
	t.Helper()
	i := strings.Index(pg.body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no #%s on the page: %s", id, pg.body)
	}
	start := strings.LastIndex(pg.body[:i], "<a ")
	h := strings.Index(pg.body[start:], `href="`)
	rest := pg.body[start+h+len(`href="`):]
	return strings.ReplaceAll(rest[:strings.IndexByte(rest, '"')], "&amp;", "&")
}

// setPassword opens a reset or invitation link and sets pw.
func setPassword(t testing.TB, b *browser, link, pw string) *page {
	t.Helper()
	form := b.get(link)
	if form.resp.StatusCode != http.StatusOK || !strings.Contains(form.body, `name="new_password"`) {
		t.Fatalf("link page: %d %s", form.resp.StatusCode, form.body)
	}
	return b.submit(form, url.Values{"new_password": {pw}, "confirm_password": {pw}}, "", "")
}

// TestPasswordReset: the login page's link leads to the form; the mail
// (text and HTML, from the configured sender, to the member) carries a
// link to the issuer; following it sets a new password once, ends every
// session and refresh token of the member, and the member signs in again
// with the new password only.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newEnv(t, open(t), withMail(mb))
		// Alice is signed in somewhere with a refresh token.
		away := e.browser()
		tok, _ := e.signedIn(e.webRP(), away)

		b := e.browser()
		sent := e.forgot(b, aliceEmail)
		if sent.resp.StatusCode != http.StatusOK || !strings.Contains(sent.body, `id="sent"`) {
			t.Fatalf("after asking: %d %s", sent.resp.StatusCode, sent.body)
		}
		if back := linkHref(t, sent, "back"); !strings.HasPrefix(back, "/login?flow=") || !b.get(e.issuer+back).isLogin() {
			t.Errorf("Back to sign in: %q does not return to the sign-in", back)
		}
		got := mb.next(1)
		if got.user != mailUser || got.from != "idp@example.com" || len(got.rcpt) != 1 || got.rcpt[0] != aliceEmail {
			t.Errorf("envelope: user %q from %q rcpt %q", got.user, got.from, got.rcpt)
		}
		m := got.parse(t)
		if subj := m.header.Get("Subject"); subj != "Reset your password" || !strings.Contains(m.header.Get("To"), aliceEmail) {
			t.Errorf("headers: Subject %q To %q", subj, m.header.Get("To"))
		}
		link := m.link(t)
		if !strings.HasPrefix(link, e.issuer+"/password/reset?token=") {
			t.Fatalf("link %q is not the issuer's reset page", link)
		}

		// A password the rules refuse leaves the link working.
		form := b.get(link)
		short := b.submit(form, url.Values{"new_password": {"short"}, "confirm_password": {"short"}}, "", "")
		if !strings.Contains(short.body, `role="alert"`) || strings.Contains(short.body, `id="done"`) {
			t.Fatalf("short password: %s", short.body)
		}
		done := setPassword(t, b, link, newPass)
		if done.resp.StatusCode != http.StatusOK || !strings.Contains(done.body, `id="done"`) {
			t.Fatalf("set password: %d %s", done.resp.StatusCode, done.body)
		}
		// Used once.
		again := b.get(link)
		if again.resp.StatusCode != http.StatusBadRequest || !strings.Contains(again.body, `id="invalid"`) {
			t.Fatalf("second use: %d %s", again.resp.StatusCode, again.body)
		}

		// Every session and refresh token ended.
		if resp, out := e.refresh(tok.RefreshToken); resp.StatusCode == http.StatusOK {
			t.Errorf("refresh token still works after the reset: %v", out)
		}
		if !away.get(e.issuer + "/account").isLogin() {
			t.Error("the other browser is still signed in after the reset")
		}
		// The old password is refused, the new one works.
		login := e.browser().get(e.webRP().authURL(newAuthRequest()))
		if pg := e.browser().submit(login, url.Values{"username": {"alice"}, "password": {alicePass}}, "", ""); pg.resp.StatusCode == http.StatusSeeOther {
			t.Error("old password accepted")
		}
		e.webRP().signInAs(e.browser(), "alice", newPass)

		trail := auditTrail{t: t, store: e.store}
		if ev := trail.last(idp.AuditPasswordReset); ev == nil || ev["member"] == "" {
			t.Errorf("no password.reset event: %s", trail.all())
		}
		if ev := trail.last(idp.AuditMailSent); ev == nil || ev["detail"].(map[string]any)["kind"] != "reset" {
			t.Errorf("no mail.sent event of kind reset: %v", ev)
		}
		if all := trail.all(); strings.Contains(all, strings.TrimPrefix(link, e.issuer+"/password/reset?token=")) {
			t.Error("the trail holds the link's token")
		}
	})
}

// TestPasswordResetExpired: a link is refused after 30 minutes.
func TestPasswordResetExpired(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		c := &clock{}
		e := newEnv(t, open(t), withMail(mb), func(cfg *provider.Config) { cfg.Now = c.now })
		b := e.browser()
		before, err := e.store.Members.ByEmail(context.Background(), aliceEmail)
		if err != nil {
			t.Fatal(err)
		}
		e.forgot(b, aliceEmail)
		link := mb.next(1).parse(t).link(t)
		form := b.get(link)
		c.advance(30*time.Minute + time.Second)
		pg := b.submit(form, url.Values{"new_password": {newPass}, "confirm_password": {newPass}}, "", "")
		if pg.resp.StatusCode != http.StatusBadRequest || !strings.Contains(pg.body, `id="invalid"`) {
			t.Fatalf("expired link: %d %s", pg.resp.StatusCode, pg.body)
		}
		if pg := b.get(link); !strings.Contains(pg.body, `id="invalid"`) {
			t.Fatalf("expired link page: %s", pg.body)
		}
		after, err := e.store.Members.ByEmail(context.Background(), aliceEmail)
		if err != nil || after.PasswordHash != before.PasswordHash {
			t.Fatalf("an expired link changed the password (%v)", err)
		}
	})
}

// TestPasswordResetUnknownAddress: an address nobody has gets the same
// page and no mail; so does a disabled member's.
func TestPasswordResetUnknownAddress(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newEnv(t, open(t), withMail(mb))
		known := e.forgot(e.browser(), aliceEmail)
		mb.next(1)
		unknown := e.forgot(e.browser(), "nobody@example.com")
		if unknown.resp.StatusCode != known.resp.StatusCode || sentPart(unknown.body) != sentPart(known.body) {
			t.Fatalf("answers differ:\nknown   %d %s\nunknown %d %s", known.resp.StatusCode, sentPart(known.body),
				unknown.resp.StatusCode, sentPart(unknown.body))
		}
		dis := e.addMember("dis@example.com", "dis", "Disabled", "disabled-pass-1", idp.RoleMember)
		dis.Disabled = true
		if err := e.store.Members.Update(context.Background(), dis); err != nil {
			t.Fatal(err)
		}
		e.forgot(e.browser(), "dis@example.com")
		mb.quiet(1)
	})
}

// sentPart is the answer paragraph of the forgot page.
func sentPart(body string) string {
	i := strings.Index(body, "<h1>")
	j := strings.Index(body, `<p><a href="/login`)
	if i < 0 || j < 0 {
		return body
	}
	return body[i:j]
}

// TestPasswordResetThrottle: one address gets at most three reset mails
// an hour however often it is asked for; the page answers the same.
func TestPasswordResetThrottle(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newEnv(t, open(t), withMail(mb))
		for i := range 5 {
			pg := e.forgot(e.browser(), strings.ToUpper(aliceEmail[:1])+aliceEmail[1:])
			if !strings.Contains(pg.body, `id="sent"`) {
				t.Fatalf("request %d: %d %s", i+1, pg.resp.StatusCode, pg.body)
			}
		}
		mb.next(3)
		mb.quiet(3)
	})
}

// TestEmailVerification: a new member's address is unverified in the ID
// token; the account page mails a link; following it makes the next ID
// token say email_verified true.
func TestEmailVerification(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newEnv(t, open(t), withMail(mb))
		r := e.webRP()
		b := e.browser()
		_, claims := r.signInAs(b, "bob", bobPass)
		if claims["email_verified"] != false {
			t.Fatalf("email_verified = %v before verification, want false", claims["email_verified"])
		}
		pg := b.get(e.issuer + "/account/email")
		if !strings.Contains(pg.body, "Not confirmed") {
			t.Fatalf("account email page: %s", pg.body)
		}
		pg = b.submit(pg, nil, "", "")
		if !strings.Contains(pg.body, `id="sent"`) {
			t.Fatalf("after asking: %d %s", pg.resp.StatusCode, pg.body)
		}
		m := mb.next(1).parse(t)
		link := m.link(t)
		if !strings.HasPrefix(link, e.issuer+"/email/verify?token=") || m.header.Get("Subject") != "Confirm your email address" {
			t.Fatalf("verification mail: %s %s", m.header.Get("Subject"), link)
		}
		// A fresh browser (the mail app's) confirms.
		other := e.browser()
		confirm := other.get(link)
		done := other.submit(confirm, nil, "", "")
		if !strings.Contains(done.body, `id="done"`) {
			t.Fatalf("confirm: %d %s", done.resp.StatusCode, done.body)
		}
		if again := other.submit(confirm, nil, "", ""); !strings.Contains(again.body, `id="invalid"`) {
			t.Fatalf("second use: %s", again.body)
		}
		_, claims = r.signInAs(e.browser(), "bob", bobPass)
		if claims["email_verified"] != true {
			t.Fatalf("email_verified = %v after verification, want true", claims["email_verified"])
		}
		if pg := b.get(e.issuer + "/account/email"); !strings.Contains(pg.body, "Confirmed") || strings.Contains(pg.body, `id="submit"`) {
			t.Errorf("account email page after verification: %s", pg.body)
		}
		trail := auditTrail{t: t, store: e.store}
		if trail.last(idp.AuditEmailVerified) == nil {
			t.Error("no email.verified event")
		}
	})
}

// TestMailOff: without a mail server the login page offers no reset, and
// the reset and account pages say mail is off.
func TestMailOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	login := b.get(e.webRP().authURL(newAuthRequest()))
	if strings.Contains(login.body, "Forgot") || strings.Contains(login.body, "/password/forgot") {
		t.Fatalf("login page offers a reset without mail: %s", login.body)
	}
	pg := b.get(e.issuer + "/password/forgot?flow=" + url.QueryEscape(login.shared().Hidden(t, "flow")))
	if !strings.Contains(pg.body, `id="mail-off"`) || strings.Contains(pg.body, `name="email"`) {
		t.Fatalf("forgot page without mail: %s", pg.body)
	}
	b.submit(login, url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
	if pg := b.get(e.issuer + "/account/email"); !strings.Contains(pg.body, `id="mail-off"`) || strings.Contains(pg.body, `id="submit"`) {
		t.Fatalf("account email page without mail: %s", pg.body)
	}
}
