package provider_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// TestSecurityMailLinkKinds: a link works only at the page of its own
// kind: a verification link cannot set a password, a reset link cannot
// verify an address or stand for an invitation.
func TestSecurityMailLinkKinds(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newEnv(t, open(t), withMail(mb))
		b := e.browser()
		e.webRP().signInAs(b, "bob", bobPass)
		b.submit(b.get(e.issuer+"/account/email"), nil, "", "")
		verifyToken := tokenOf(t, mb.next(1).parse(t).link(t))
		e.forgot(e.browser(), "bob@example.com")
		resetToken := tokenOf(t, mb.next(2).parse(t).link(t))

		for _, c := range []struct{ path, token string }{
			{"/password/reset", verifyToken}, {"/invite", verifyToken}, {"/invite", resetToken},
		} {
			x := e.browser()
			if pg := x.get(e.issuer + c.path + "?token=" + url.QueryEscape(c.token)); !strings.Contains(pg.body, `id="invalid"`) {
				t.Errorf("%s with a link of another kind: %d %s", c.path, pg.resp.StatusCode, pg.body)
			}
			// Posting straight to the page, with a valid form token.
			form := x.get(e.issuer + "/email/verify?token=" + url.QueryEscape(verifyToken))
			csrf := form.shared().Hidden(t, "csrf_token")
			pg := x.shared.Post(e.issuer+c.path, url.Values{"token": {c.token}, "csrf_token": {csrf},
				"new_password": {newPass}, "confirm_password": {newPass}})
			if !strings.Contains(pg.Body, `id="invalid"`) && !strings.Contains(pg.Body, "Form expired") {
				t.Errorf("POST %s with a link of another kind: %d %s", c.path, pg.Resp.StatusCode, pg.Body)
			}
		}
		x := e.browser()
		if pg := x.get(e.issuer + "/email/verify?token=" + url.QueryEscape(resetToken)); !strings.Contains(pg.body, `id="invalid"`) {
			t.Errorf("verify page with a reset link: %s", pg.body)
		}
		if m, _ := e.store.Members.ByUsername(context.Background(), "bob"); m.EmailVerified {
			t.Error("a link of another kind verified the address")
		}
		// Both links still work where they belong.
		e.webRP().signInAs(e.browser(), "bob", bobPass)
		if done := setPassword(t, e.browser(), e.issuer+"/password/reset?token="+url.QueryEscape(resetToken), newPass); !strings.Contains(done.body, `id="done"`) {
			t.Errorf("the reset link no longer works: %s", done.body)
		}
	})
}

// tokenOf is the token parameter of a mailed link.
func tokenOf(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q has no token", link)
	}
	return u.Query().Get("token")
}

// TestSecurityMailLinkReuse: of many concurrent uses of one reset link
// exactly one sets its password; every later use is refused.
func TestSecurityMailLinkReuse(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newEnv(t, open(t), withMail(mb))
		e.forgot(e.browser(), aliceEmail)
		link := mb.next(1).parse(t).link(t)
		type attempt struct {
			b    *browser
			form *page
		}
		var tries []attempt
		for range 8 {
			b := e.browser()
			tries = append(tries, attempt{b, b.get(link)})
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i, a := range tries {
			wg.Go(func() {
				pw := newPass + string(rune('a'+i))
				pg := a.b.submit(a.form, url.Values{"new_password": {pw}, "confirm_password": {pw}}, "", "")
				if strings.Contains(pg.body, `id="done"`) {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent uses of one link set a password, want 1", wins.Load())
		}
		if pg := tries[0].b.submit(tries[0].form, url.Values{"new_password": {newPass}, "confirm_password": {newPass}}, "", ""); !strings.Contains(pg.body, `id="invalid"`) {
			t.Fatalf("a later use: %s", pg.body)
		}
	})
}

// TestSecurityMailHeaderInjection: a member's name cannot add headers or
// recipients to a mail sent to them, and an address typed into the reset
// form with a line break sends nothing.
func TestSecurityMailHeaderInjection(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		mb := newMailbox(t)
		e := newEnv(t, open(t), withMail(mb))
		evil := "Eve\r\nBcc: victim@example.net\r\nSubject: Pay now"
		eve := e.addMember("eve@example.com", "eve", "Eve", "eve-password-123", idp.RoleMember)
		eve.Name = evil // past the members rules, as a bad import could
		if err := e.store.Members.Update(context.Background(), eve); err != nil {
			t.Fatal(err)
		}
		e.forgot(e.browser(), "eve@example.com")
		got := mb.next(1)
		if len(got.rcpt) != 1 || got.rcpt[0] != "eve@example.com" {
			t.Fatalf("recipients %q, want eve alone", got.rcpt)
		}
		m := got.parse(t)
		if len(m.header["Bcc"]) != 0 || len(m.header["Subject"]) != 1 || m.header.Get("Subject") != "Reset your password" {
			t.Fatalf("the name added headers: %v", m.header)
		}
		if strings.Contains(m.text, "\r\nBcc:") || strings.Contains(m.text, "\nSubject: Pay now") {
			t.Errorf("the name laid out lines in the body: %q", m.text)
		}

		for _, typed := range []string{"alice@example.com\r\nBcc: victim@example.net", "alice@example.com\nCc: x@example.net"} {
			if pg := e.forgot(e.browser(), typed); pg.resp.StatusCode >= 500 {
				t.Fatalf("%q: %d %s", typed, pg.resp.StatusCode, pg.body)
			}
		}
		mb.quiet(1)
	})
}

// TestSecurityMailLinksFromIssuer: the link in a mail is built from the
// issuer, whatever Host or forwarding headers the request that asked for
// it carried, so an attacker cannot have a victim mailed a link to their
// own host (reset poisoning).
func TestSecurityMailLinksFromIssuer(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	e := newEnv(t, openSQLite(t), withMail(mb))
	b := e.browser()
	login := b.get(e.webRP().authURL(newAuthRequest()))
	form := b.get(e.issuer + linkHref(t, login, "forgot"))
	vals := url.Values{"flow": {form.shared().Hidden(t, "flow")}, "csrf_token": {form.shared().Hidden(t, "csrf_token")},
		"email": {aliceEmail}}
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/password/forgot", strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "evil.example"
	// The jar picks cookies by Host; the victim's browser sends its own.
	for _, c := range b.client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("Forwarded", "host=evil.example;proto=https")
	if pg := b.do(req); !strings.Contains(pg.body, `id="sent"`) {
		t.Fatalf("forgot with a foreign Host: %d %s", pg.resp.StatusCode, pg.body)
	}
	m := mb.next(1).parse(t)
	if link := m.link(t); !strings.HasPrefix(link, e.issuer+"/") || strings.Contains(m.text+m.html, "evil.example") {
		t.Fatalf("the mail points elsewhere than the issuer: %s\n%s", link, m.html)
	}
}

// TestSecurityMailFormsCSRF: the reset form and the link pages refuse a
// post without this browser's form token, and change nothing.
func TestSecurityMailFormsCSRF(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	e := newEnv(t, openSQLite(t), withMail(mb))
	b := e.browser()
	login := b.get(e.webRP().authURL(newAuthRequest()))
	flow := login.shared().Hidden(t, "flow")
	if pg := b.shared.Post(e.issuer+"/password/forgot", url.Values{"flow": {flow}, "email": {aliceEmail}}); pg.Resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forgot without a token: %d %s", pg.Resp.StatusCode, pg.Body)
	}
	mb.quiet(0)
	e.forgot(b, aliceEmail)
	token := tokenOf(t, mb.next(1).parse(t).link(t))
	other := e.browser()
	other.get(e.issuer + "/password/reset?token=" + url.QueryEscape(token))
	// The attacker's page posts from the victim's browser with its own token.
	if pg := other.shared.Post(e.issuer+"/password/reset", url.Values{"token": {token}, "csrf_token": {"forged"},
		"new_password": {newPass}, "confirm_password": {newPass}}); pg.Resp.StatusCode != http.StatusForbidden {
		t.Fatalf("reset with a forged token: %d %s", pg.Resp.StatusCode, pg.Body)
	}
	if done := setPassword(t, b, e.issuer+"/password/reset?token="+url.QueryEscape(token), newPass); !strings.Contains(done.body, `id="done"`) {
		t.Fatalf("the link was spent by a refused post: %s", done.body)
	}
}

// TestSecurityMailLogHoldsNoSecret: with the log at debug level, neither
// the mail server's password (also when the server refuses it) nor a
// mailed link's token nor the password set through it is logged.
func TestSecurityMailLogHoldsNoSecret(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	var logs logBuffer
	e := newEnv(t, openSQLite(t), withMail(mb), func(c *provider.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e.forgot(e.browser(), aliceEmail)
	link := mb.next(1).parse(t).link(t)
	setPassword(t, e.browser(), link, newPass)

	// A provider whose mail server refuses its password logs the failure.
	var logs2 logBuffer
	const wrong = "wrong-smtp-password-77"
	e2 := newEnv(t, openSQLite(t), withMail(mb), func(c *provider.Config) {
		c.SMTPURL = "smtp://" + mailUser + ":" + wrong + "@" + mb.addr
		c.Logger = slog.New(slog.NewTextHandler(&logs2, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e2.forgot(e2.browser(), aliceEmail)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs2.String(), "mail delivery failed") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs2.String(), "mail delivery failed") {
		t.Fatalf("no delivery failure logged:\n%s", logs2.String())
	}
	all := logs.String() + logs2.String()
	for name, secret := range map[string]string{"smtp password": mailPass, "wrong smtp password": wrong,
		"link token": tokenOf(t, link), "new password": newPass} {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
}
