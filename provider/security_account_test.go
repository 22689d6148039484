package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idp/idp/storage"
)

// accountChanges are the account page's changes an attacker would like to
// make in a member's name, each with the form it posts (without its CSRF
// token).
func accountChanges(bobSession string) map[string]url.Values {
	return map[string]url.Values{
		"/account": {"name": {"Mallory Was Here"}},
		"/account/password": {"current_password": {alicePass}, "new_password": {"mallory-password-1"},
			"confirm_password": {"mallory-password-1"}, "end_others": {"on"}},
		"/account/sessions": {"session": {bobSession}},
		"/account/apps":     {"client_id": {"web"}},
	}
}

// unchanged fails the test when any of the changes accountChanges names
// took effect for alice (name, password, sessions, the consent to web).
func (e *env) unchanged(t *testing.T, sessions int) {
	t.Helper()
	if m := e.member("alice"); m.Name != "Alice Example" {
		t.Errorf("alice's name changed to %q", m.Name)
	}
	if !e.passwordIs("alice", alicePass) {
		t.Error("alice's password changed")
	}
	if n := len(e.sessionsOf("alice")); n != sessions {
		t.Errorf("alice has %d sessions, want %d", n, sessions)
	}
	if !e.hasConsent("alice", "web") {
		t.Error("alice's consent to web was revoked")
	}
}

// TestSecurityAccountCSRF: a form posted without its CSRF token, with a
// forged one, or with the token of another member's session (a page the
// attacker loaded in their own browser) changes nothing.
func TestSecurityAccountCSRF(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		e.webRP().signInAs(b, "alice", alicePass) // a session and a consent to web
		mallory := e.browser()
		e.accountSignIn(mallory, "bob", bobPass)
		foreign := e.csrf(mallory, "/account")
		for path, form := range accountChanges(e.sessionsOf("alice")[0].ID) {
			for name, token := range map[string]string{"missing": "", "forged": "AAAA" + foreign[4:], "foreign": foreign} {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				if token != "" {
					f.Set("csrf_token", token)
				}
				pg := b.postAccount(path, f)
				if pg.resp.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s with a %s token: status %d, want 403", path, name, pg.resp.StatusCode)
				}
				e.unchanged(t, 1)
			}
		}
	})
}

// TestSecurityAccountRequiresSession: without a session every account
// page is the login page and every form changes nothing, even with a
// token that was valid for a session since ended.
func TestSecurityAccountRequiresSession(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		e.webRP().signInAs(b, "alice", alicePass)
		token := e.csrf(b, "/account")
		sid := e.sessionsOf("alice")[0].ID
		stranger := e.browser()
		for _, path := range []string{"/account", "/account/password", "/account/sessions", "/account/apps", "/account/activity"} {
			if pg := stranger.get(e.issuer + path); !pg.isLogin() {
				t.Errorf("GET %s without a session: want the login page, got %d %s", path, pg.resp.StatusCode, pg.body)
			}
		}
		for path, form := range accountChanges(sid) {
			form.Set("csrf_token", token)
			pg := stranger.postAccount(path, form)
			if strings.Contains(pg.body, "Alice") || pg.resp.StatusCode == http.StatusOK && !pg.isLogin() {
				t.Errorf("POST %s without a session: got %d %s", path, pg.resp.StatusCode, pg.body)
			}
			e.unchanged(t, 1)
		}
	})
}

// TestSecurityAccountForeignSession: a member cannot end another member's
// session by posting its id, nor revoke a consent that is not theirs.
func TestSecurityAccountForeignSession(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		victim := e.browser()
		e.webRP().signInAs(victim, "alice", alicePass)
		sid := e.sessionsOf("alice")[0].ID
		b := e.browser()
		e.accountSignIn(b, "bob", bobPass)
		pg := b.postAccount("/account/sessions", url.Values{"session": {sid}, "csrf_token": {e.csrf(b, "/account/sessions")}})
		if pg.resp.StatusCode != http.StatusNotFound {
			t.Errorf("ending another member's session: status %d, want 404: %s", pg.resp.StatusCode, pg.body)
		}
		pg = b.postAccount("/account/apps", url.Values{"client_id": {"web"}, "csrf_token": {e.csrf(b, "/account")}})
		if pg.resp.StatusCode != http.StatusNotFound {
			t.Errorf("revoking a consent bob never gave: status %d, want 404: %s", pg.resp.StatusCode, pg.body)
		}
		e.unchanged(t, 1)
		if len(e.sessionsOf("bob")) != 1 {
			t.Error("bob's own session ended")
		}
	})
}

// TestSecurityAccountPasswordOracle: the current-password check of the
// password form counts against the sign-in throttle of the member, so a
// stolen session cannot guess the password faster than the login page
// allows; once throttled, even the right password changes nothing.
func TestSecurityAccountPasswordOracle(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		e.webRP().signInAs(b, "alice", alicePass)
		token := e.csrf(b, "/account/password")
		try := func(current string) *page {
			return b.postAccount("/account/password", url.Values{"csrf_token": {token}, "current_password": {current},
				"new_password": {"new-password-123"}, "confirm_password": {"new-password-123"}})
		}
		for i := range 10 {
			pg := try("wrong-password-" + string(rune('a'+i)))
			if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, "current password is incorrect") {
				t.Fatalf("wrong current password %d: got %d %s", i, pg.resp.StatusCode, pg.body)
			}
		}
		pg := try(alicePass)
		if pg.resp.StatusCode != http.StatusTooManyRequests || pg.resp.Header.Get("Retry-After") == "" {
			t.Fatalf("right password after 10 wrong ones: status %d, want 429 with Retry-After: %s", pg.resp.StatusCode, pg.body)
		}
		if !e.passwordIs("alice", alicePass) {
			t.Fatal("a throttled attempt changed the password")
		}
		// The login page keeps the same count for this account.
		other := e.browser()
		lp := other.submit(other.get(e.issuer+"/account"), url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if lp.resp.StatusCode != http.StatusTooManyRequests || !lp.isLogin() {
			t.Errorf("sign-in after the password form was throttled: status %d, want 429 and the login page", lp.resp.StatusCode)
		}
	})
}
