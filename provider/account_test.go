package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/provider/authflow"
	"github.com/idp/idp/storage"
)

// TestAccountSignIn: the account page sends a browser without a session
// through the ordinary login page and back to the page it asked for; a
// signed-in browser (SSO from an app's sign-in) goes straight in.
func TestAccountSignIn(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		pg := b.get(e.issuer + "/account")
		if !pg.isLogin() {
			t.Fatalf("/account without a session: want the login page, got %d %s", pg.resp.StatusCode, pg.body)
		}
		if !strings.Contains(pg.body, "your account") {
			t.Errorf("the login page of the account does not say what it signs in to: %s", pg.body)
		}
		bad := b.submit(pg, url.Values{"username": {"alice"}, "password": {"wrong-password"}}, "", "")
		if !bad.isLogin() {
			t.Fatalf("wrong password: want the login page again, got %d %s", bad.resp.StatusCode, bad.body)
		}
		pg = b.submit(bad, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if pg.resp.StatusCode != http.StatusOK || pg.resp.Request.URL.Path != "/account" || !strings.Contains(pg.body, aliceEmail) {
			t.Fatalf("after sign-in: want /account with the member, got %d %s %s", pg.resp.StatusCode, pg.resp.Request.URL, pg.body)
		}

		// SSO: a browser signed in through an app is in at once.
		b2 := e.browser()
		e.webRP("openid").signInAs(b2, "bob", bobPass)
		pg = b2.get(e.issuer + "/account")
		if pg.isLogin() || !strings.Contains(pg.body, "bob@example.com") {
			t.Fatalf("/account after an app's sign-in: want the account page, got %s", pg.body)
		}
	})
}

// TestAccountFlowNotConsent: the flow of an account sign-in cannot be
// used at the consent page, which would treat it as an app's request.
func TestAccountFlowNotConsent(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	b := e.browser()
	pg := b.get(e.issuer + "/account")
	flow := pg.shared().Hidden(t, "flow")
	if flow == "" {
		t.Fatalf("no flow on the login page: %s", pg.body)
	}
	b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
	got := b.get(e.issuer + "/consent?flow=" + url.QueryEscape(flow))
	if got.resp.StatusCode < 400 {
		t.Fatalf("consent page of an account flow: want an error page, got %d %s", got.resp.StatusCode, got.body)
	}
}

// TestLocalReturn: only the provider's own pages are return paths, so the
// login page is no open redirector.
func TestLocalReturn(t *testing.T) {
	for path, want := range map[string]bool{
		"/account": true, "/account/sessions": true, "/admin": true, "/admin/members?q=a": true,
		"": false, "account": false, "//evil.example/account": false, "https://evil.example/account": false,
		"/accounts": false, "/account/../oauth2/token": false, "/\\evil.example": false, "/admin/./x": false,
		"/oauth2/authorize": false, "javascript:alert(1)": false, "/%2e%2e/x": false,
	} {
		if got := authflow.LocalReturn(path); got != want {
			t.Errorf("LocalReturn(%q) = %v, want %v", path, got, want)
		}
	}
}

const (
	firefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	safariPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)

// TestAccountName: the member changes their display name on the
// overview, audited with them as actor; a name over the members limit is
// refused with a message and changes nothing.
func TestAccountName(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		pg := e.accountSignIn(b, "alice", alicePass)
		pg = b.submit(pg, url.Values{"name": {"  Alice Liddell "}}, "", "")
		if pg.resp.StatusCode != http.StatusOK || pg.resp.Request.URL.Path != "/account" {
			t.Fatalf("save name: got %d %s", pg.resp.StatusCode, pg.resp.Request.URL)
		}
		pg.shared().MustContain(t, "Your name was saved.", `<dd id="name">Alice Liddell</dd>`)
		if got := e.member("alice").Name; got != "Alice Liddell" {
			t.Errorf("stored name %q, want Alice Liddell", got)
		}
		ev := e.events(idp.AuditMemberUpdated)
		if len(ev) != 1 || ev[0].Actor != idp.ActorMember(e.member("alice").ID) {
			t.Errorf("member.updated events %+v, want one by alice", ev)
		}
		long := strings.Repeat("n", members.MaxNameBytes+1)
		pg = b.submit(pg, url.Values{"name": {long}}, "", "")
		if pg.resp.StatusCode != http.StatusBadRequest || !strings.Contains(pg.body, `role="alert"`) {
			t.Errorf("over-long name: got %d %s", pg.resp.StatusCode, pg.body)
		}
		if got := e.member("alice").Name; got != "Alice Liddell" {
			t.Errorf("an over-long name changed the name to %q", got)
		}
	})
}

// TestAccountPassword: changing the password needs the current one and a
// new one by the members rules typed twice; afterwards the old one is
// refused at sign-in and the new one works; the other sessions end when
// asked (their refresh tokens with them) and this one stays.
func TestAccountPassword(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		other := e.browser()
		tok, _ := e.signedIn(e.webRP(), other) // another session, with a refresh token
		b := e.browser()
		e.accountSignIn(b, "alice", alicePass)
		token := e.csrf(b, "/account/password")
		change := func(current, pw, confirm string, endOthers bool) *page {
			f := url.Values{"csrf_token": {token}, "current_password": {current}, "new_password": {pw}, "confirm_password": {confirm}}
			if endOthers {
				f.Set("end_others", "on")
			}
			return b.postAccount("/account/password", f)
		}
		const newPass = "alice-new-password-2"
		for name, c := range map[string]struct {
			pg     *page
			status int
			msg    string
		}{
			"wrong current": {change("not-my-password", newPass, newPass, true), http.StatusOK, "current password is incorrect"},
			"too short":     {change(alicePass, "short", "short", true), http.StatusBadRequest, "between 8 and 1024"},
			"mismatch":      {change(alicePass, newPass, newPass+"x", true), http.StatusBadRequest, "do not match"},
		} {
			if c.pg.resp.StatusCode != c.status || !strings.Contains(c.pg.body, c.msg) || !strings.Contains(c.pg.body, `role="alert"`) {
				t.Errorf("%s: got %d, want %d with %q: %s", name, c.pg.resp.StatusCode, c.status, c.msg, c.pg.body)
			}
		}
		if !e.passwordIs("alice", alicePass) || len(e.sessionsOf("alice")) != 2 {
			t.Fatal("a refused change changed the password or ended sessions")
		}
		if ev := e.events(idp.AuditPasswordChangeFailed); len(ev) != 1 || ev[0].Detail["reason"] != "bad_credentials" {
			t.Errorf("password.change_failed events %+v, want one for the wrong current password", ev)
		}

		pg := change(alicePass, newPass, newPass, true)
		if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, "other sessions were signed out") {
			t.Fatalf("change password: got %d %s", pg.resp.StatusCode, pg.body)
		}
		if !e.passwordIs("alice", newPass) {
			t.Fatal("the password did not change")
		}
		if list := e.sessionsOf("alice"); len(list) != 1 {
			t.Fatalf("alice has %d sessions after the change, want only this one", len(list))
		}
		if pg := b.get(e.issuer + "/account"); pg.isLogin() {
			t.Error("the session that changed the password was ended")
		}
		if resp, out := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("refresh token of an ended session: %d %v, want invalid_grant", resp.StatusCode, out)
		}
		if pg := other.get(e.issuer + "/account"); !pg.isLogin() {
			t.Error("the other browser is still signed in")
		}
		ev := e.events(idp.AuditPasswordChanged)
		if len(ev) != 1 || ev[0].Detail["other_sessions_ended"] != float64(1) {
			t.Errorf("password.changed events %+v, want one with one other session ended", ev)
		}

		// Sign-in: the old password is refused, the new one works.
		fresh := e.browser()
		lp := fresh.get(e.issuer + "/account")
		if lp = fresh.submit(lp, url.Values{"username": {"alice"}, "password": {alicePass}}, "", ""); !lp.isLogin() {
			t.Fatalf("the old password still signs in: %d %s", lp.resp.StatusCode, lp.body)
		}
		e.accountSignIn(e.browser(), "alice", newPass)

		// Without the checkbox the other sessions stay.
		pg = change(newPass, alicePass, alicePass, false)
		if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, "Your password was changed.") {
			t.Fatalf("change back: got %d %s", pg.resp.StatusCode, pg.body)
		}
		if n := len(e.sessionsOf("alice")); n != 2 {
			t.Errorf("without the checkbox %d sessions remain, want 2", n)
		}
	})
}

// TestAccountSessions: the sessions page lists the member's sessions by
// browser, address and times, marks this browser, and signs out another
// one as a logout does: the app's back-channel logout endpoint receives a
// valid logout token for that session, and its refresh tokens die.
func TestAccountSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		uri, tokens := logoutTokens(t, func(int) int { return http.StatusOK })
		bc := e.addBackchannelClient("bc", uri)
		phone := e.browser().userAgent(safariPhone)
		_, idt := bc.signInAs(phone, "alice", alicePass)
		tok, _ := e.signedIn(e.webRP(), phone) // SSO: the same session, with a refresh token
		laptop := e.browser().userAgent(firefoxLinux)
		e.accountSignIn(laptop, "alice", alicePass)
		pg := laptop.get(e.issuer + "/account/sessions")
		pg.shared().MustContain(t, "Safari on iPhone", "Firefox on Linux (this browser)", "From 127.0.0.1", idt["sid"].(string))
		if strings.Index(pg.body, "Firefox on Linux") > strings.Index(pg.body, "Safari on iPhone") {
			t.Error("the session used last is not listed first")
		}

		pg = laptop.postAccount("/account/sessions", url.Values{"csrf_token": {pg.shared().Hidden(t, "csrf_token")}, "session": {idt["sid"].(string)}})
		if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, "The session was signed out.") || strings.Contains(pg.body, "Safari") {
			t.Fatalf("sign out the phone: got %d %s", pg.resp.StatusCode, pg.body)
		}
		lt := receive(t, tokens)
		payload, err := oidc.NewRemoteKeySet(context.Background(), e.issuer+"/.well-known/jwks.json").VerifySignature(context.Background(), lt)
		if err != nil {
			t.Fatalf("logout token does not verify: %v", err)
		}
		var c map[string]any
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatal(err)
		}
		if c["sid"] != idt["sid"] || c["sub"] != idt["sub"] || c["iss"] != e.issuer || claimList(c["aud"])[0] != "bc" {
			t.Errorf("logout token claims %v; want sid %v, sub %v for bc", c, idt["sid"], idt["sub"])
		}
		if !e.sessionGone(idt["sid"]) {
			t.Error("the phone's session is still there")
		}
		if resp, out := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("refresh token of the ended session: %d %v, want invalid_grant", resp.StatusCode, out)
		}
		if ev := e.events(idp.AuditSessionEnded); len(ev) != 1 || ev[0].SessionID != idt["sid"] || ev[0].Detail["reason"] != "account" ||
			ev[0].Actor != idp.ActorMember(e.member("alice").ID) {
			t.Errorf("session.ended events %+v, want one for the phone by alice", ev)
		}

		// Sign out all others: two more sessions go, this one stays.
		for range 2 {
			e.accountSignIn(e.browser(), "alice", alicePass)
		}
		pg = laptop.get(e.issuer + "/account/sessions")
		pg = laptop.postAccount("/account/sessions", url.Values{"csrf_token": {pg.shared().Hidden(t, "csrf_token")}, "others": {"yes"}})
		if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, "other sessions were signed out") {
			t.Fatalf("sign out others: got %d %s", pg.resp.StatusCode, pg.body)
		}
		if list := e.sessionsOf("alice"); len(list) != 1 || !strings.Contains(list[0].UserAgent, "Firefox") {
			t.Errorf("after signing out the others: %d sessions, want only the laptop's", len(list))
		}

		// Signing out this browser from the list signs it out.
		pg = laptop.get(e.issuer + "/account/sessions")
		pg = laptop.postAccount("/account/sessions", url.Values{"csrf_token": {pg.shared().Hidden(t, "csrf_token")}, "session": {e.sessionsOf("alice")[0].ID}})
		if !strings.Contains(pg.body, "You are signed out") || !laptop.get(e.issuer+"/account").isLogin() {
			t.Errorf("signing out this browser: got %d %s", pg.resp.StatusCode, pg.body)
		}
	})
}

// TestAccountApps: the apps page lists a remembered consent with its
// scopes; removing it revokes the app's refresh and access tokens for the
// member, and the app's next sign-in asks for consent again.
func TestAccountApps(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		tok, _ := e.signedIn(e.webRP(), b)
		pg := b.get(e.issuer + "/account/apps")
		pg.shared().MustContain(t, "Web App", "offline_access", "stay signed in when you are away")
		pg = b.submit(pg, nil, "", "")
		if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, "access was removed") || !strings.Contains(pg.body, "not allowed any app") {
			t.Fatalf("remove access: got %d %s", pg.resp.StatusCode, pg.body)
		}
		if resp, out := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("refresh token after removing access: %d %v, want invalid_grant", resp.StatusCode, out)
		}
		if out := e.introspect(tok.AccessToken); out["active"] != false {
			t.Errorf("access token after removing access: %v, want inactive", out)
		}
		if pg := b.get(e.webRP().authURL(newAuthRequest())); !pg.isConsent() {
			t.Errorf("the app's next sign-in: want the consent page, got %d %s", pg.resp.StatusCode, pg.body)
		}
		if ev := e.events(idp.AuditConsentRevoked); len(ev) != 1 || ev[0].ClientID != "web" || ev[0].Detail["tokens_revoked"] != float64(2) {
			t.Errorf("consent.revoked events %+v, want one for web with 2 tokens", ev)
		}
	})
}

// TestAccountActivity: the activity page tells the member, newest first
// and in words, what happened to their account.
func TestAccountActivity(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		pg := b.get(e.issuer + "/account")
		b.submit(pg, url.Values{"username": {"alice"}, "password": {"wrong-password"}}, "", "")
		e.accountSignIn(b, "alice", alicePass)          // a new flow: the first one's login page was answered
		e.webRP().signInAs(e.browser(), "bob", bobPass) // someone else's events stay theirs
		token := e.csrf(b, "/account/password")
		b.postAccount("/account/password", url.Values{"csrf_token": {token}, "current_password": {alicePass},
			"new_password": {"alice-new-password-2"}, "confirm_password": {"alice-new-password-2"}})
		pg = b.get(e.issuer + "/account/activity")
		body := pg.body
		order := []string{"Password changed", "Signed in", "Failed sign-in"}
		last := -1
		for _, what := range order {
			at := strings.Index(body, what)
			if at <= last {
				t.Errorf("activity lacks %q or lists it out of order:\n%s", what, body)
			}
			last = at
		}
		if strings.Count(body, "Signed in") != 1 || strings.Contains(body, "token.issued") {
			t.Errorf("activity shows other members' or routine events:\n%s", body)
		}
	})
}
