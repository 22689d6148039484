package provider_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/idp/idp/storage"
)

// A disabled member who still knows their password must not get a
// session or a code: the sign-in form answers as for a wrong password.
func TestDisabledMemberCannotSignIn(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		ctx := context.Background()
		bob, err := e.store.Members.ByUsername(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		bob.Disabled = true
		if err := e.store.Members.Update(ctx, bob); err != nil {
			t.Fatal(err)
		}
		r := e.webRP("openid")
		b := e.browser()
		pg := b.get(r.authURL(newAuthRequest()))
		if !pg.isLogin() {
			t.Fatalf("no login page: %d %s", pg.resp.StatusCode, pg.body)
		}
		pg = b.submit(pg, url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
		if !pg.isLogin() || !strings.Contains(pg.body, "incorrect") {
			t.Fatalf("a disabled member's correct password: status %d, want the login page again with the bad-credentials message", pg.resp.StatusCode)
		}
		if sessions, err := e.store.Sessions.ByMember(ctx, bob.ID); err != nil || len(sessions) != 0 {
			t.Fatalf("sessions of the disabled member = %v, %v; want none", sessions, err)
		}
		bob.Disabled = false
		if err := e.store.Members.Update(ctx, bob); err != nil {
			t.Fatal(err)
		}
		a := newAuthRequest()
		if code := e.code(b.signIn(r.authURL(a), "bob", bobPass), a); code == "" {
			t.Fatal("no code after enabling the member again")
		}
	})
}
