package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/idp/idp/provider"
	"github.com/idp/idp/sessions"
	"github.com/idp/idp/storage"
)

// verifiedLogoutToken checks lt verifies through the JWKS at issuer and
// returns its claims.
func verifiedLogoutToken(t *testing.T, issuer, lt string) map[string]any {
	t.Helper()
	keys := oidc.NewRemoteKeySet(context.Background(), issuer+"/.well-known/jwks.json")
	payload, err := keys.VerifySignature(context.Background(), lt)
	if err != nil {
		t.Fatalf("logout token does not verify through the JWKS: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if ev, _ := c["events"].(map[string]any); ev == nil || ev[backchannelEvent] == nil || c["iss"] != issuer {
		t.Fatalf("logout token claims = %v", c)
	}
	return c
}

// outboxEmpty reports whether no delivery is owed at all.
func (e *env) outboxEmpty() bool {
	e.t.Helper()
	due, err := e.store.Outbox.Due(context.Background(), time.Now().Add(365*24*time.Hour), 10)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(due) == 0
}

// TestSecurityBackchannelLogoutSurvivesRestart checks the rule "a logout
// whose delivery had not yet succeeded is delivered after the provider
// restarts": the delivery is persisted with the session's end, so a
// receiver down (answering 500) while the provider stops still receives a
// valid logout token from the provider that starts next.
func TestSecurityBackchannelLogoutSurvivesRestart(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.BackchannelPollInterval = 50 * time.Millisecond
			c.BackchannelRetryBase = 300 * time.Millisecond
		})
		var up atomic.Bool
		uri, tokens := logoutTokens(t, func(int) int {
			if up.Load() {
				return http.StatusOK
			}
			return http.StatusInternalServerError
		})
		bc := e.addBackchannelClient("bc", uri)
		b := e.browser()
		tok, idt := bc.signInAs(b, "alice", alicePass)
		b.logout(bc, url.Values{"id_token_hint": {idTokenOf(t, tok)}})
		receive(t, tokens) // the first attempt, refused

		e.restart()
		up.Store(true)
		c := verifiedLogoutToken(t, e.issuer, receive(t, tokens))
		if c["sid"] != idt["sid"] || c["sub"] != idt["sub"] || claimList(c["aud"])[0] != "bc" {
			t.Fatalf("logout token after restart = %v; want sid %v, sub %v, aud bc", c, idt["sid"], idt["sub"])
		}
		deadline := time.Now().Add(5 * time.Second)
		for !e.outboxEmpty() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !e.outboxEmpty() {
			t.Fatal("the delivered logout is still in the outbox")
		}
	})
}

// TestSecurityBackchannelLogoutBacksOff checks the rule "a worker delivers
// with exponential backoff (bounded attempts, then dropped)": a receiver
// that always fails is tried BackchannelMaxAttempts times, each wait four
// times the one before, and then no more.
func TestSecurityBackchannelLogoutBacksOff(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		const base, attempts = 100 * time.Millisecond, 4
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.BackchannelPollInterval = 10 * time.Millisecond
			c.BackchannelRetryBase = base
			c.BackchannelMaxAttempts = attempts
		})
		var mu sync.Mutex
		var at []time.Time
		uri, tokens := logoutTokens(t, func(int) int {
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
			return http.StatusServiceUnavailable
		})
		bc := e.addBackchannelClient("bc", uri)
		b := e.browser()
		tok, _ := bc.signInAs(b, "alice", alicePass)
		b.logout(bc, url.Values{"id_token_hint": {idTokenOf(t, tok)}})
		for range attempts {
			receive(t, tokens)
		}
		for deadline := time.Now().Add(2 * time.Second); !e.outboxEmpty() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(at) != attempts {
			t.Fatalf("%d attempts; want exactly %d", len(at), attempts)
		}
		want := base
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < want*9/10 || gap > want*4 {
				t.Errorf("wait before attempt %d = %v; want about %v", i+1, gap, want)
			}
			want *= 4
		}
		if !e.outboxEmpty() {
			t.Error("the dropped delivery is still in the outbox")
		}
	})
}

// TestSecurityPasswordChangeEndsSessions checks the rule "a changed
// password ends the member's sessions (back-channel logout sent) and
// revokes their refresh tokens": the command line calls
// sessions.EndMember in the transaction that stores the new
// password, and the running provider delivers the logout it queued.
func TestSecurityPasswordChangeEndsSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t), func(c *provider.Config) { c.BackchannelPollInterval = 50 * time.Millisecond })
		uri, tokens := logoutTokens(t, func(int) int { return http.StatusOK })
		bc := e.addBackchannelClient("bc", uri)
		b := e.browser()
		tok, idt := e.webRP().signInAs(b, "alice", alicePass)
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token to revoke")
		}
		bc.silent(b)
		alice, err := e.store.Members.ByEmail(context.Background(), aliceEmail)
		if err != nil {
			t.Fatal(err)
		}

		n, err := sessions.EndMember(context.Background(), e.store, alice.ID)
		if err != nil || n != 1 {
			t.Fatalf("EndMember = %d, %v; want 1 session ended", n, err)
		}
		if !e.sessionGone(idt["sid"]) {
			t.Error("the session survived the password change")
		}
		if resp, out := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("refresh after the password change: %d %v; want 400 invalid_grant", resp.StatusCode, out)
		}
		c := verifiedLogoutToken(t, e.issuer, receive(t, tokens))
		if c["sid"] != idt["sid"] || claimList(c["aud"])[0] != "bc" {
			t.Errorf("logout token = %v; want sid %v for bc", c, idt["sid"])
		}
	})
}
