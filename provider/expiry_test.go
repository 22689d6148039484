package provider_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/idp/idp/provider"
)

// TestIdleSessionEndsWithBackchannelLogout: a session nobody uses again is
// ended by the cleanup as a logout would be: its clients get a logout
// token, its refresh tokens stop working, and the row is gone.
func TestIdleSessionEndsWithBackchannelLogout(t *testing.T) {
	e := newEnv(t, openSQLite(t), func(c *provider.Config) {
		c.SessionIdleTimeout = 3 * time.Second // long enough to sign both apps in under -race
		c.CleanupInterval = 100 * time.Millisecond
	})
	uri, tokens := logoutTokens(t, func(int) int { return http.StatusOK })
	bc := e.addBackchannelClient("bc", uri)
	b := e.browser()
	_, idt := bc.signInAs(b, "alice", alicePass)
	web := e.webRP()
	tok, _ := e.signedIn(web, b) // same session, a refresh token issued in it

	_, claims := jwtParts(t, receive(t, tokens))
	if claims["sid"] != idt["sid"] {
		t.Errorf("logout token sid = %v, want %v", claims["sid"], idt["sid"])
	}
	if !e.sessionGone(idt["sid"]) {
		t.Error("the idle session is still in the store")
	}
	if resp, out := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("refresh token of the ended session still works: %d %v", resp.StatusCode, out)
	}
	list, err := e.store.Sessions.ByMember(context.Background(), memberID(t, e, "alice"))
	if err != nil || len(list) != 0 {
		t.Errorf("sessions left: %v %v", list, err)
	}
}
