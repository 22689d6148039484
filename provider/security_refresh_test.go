package provider_test

import (
	"net/http"
	"net/url"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// clock is a test clock the provider reads through Config.Now.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func graceEnv(t *testing.T, open func(testing.TB) *storage.Store, interval time.Duration) (*env, *clock) {
	t.Helper()
	c := &clock{}
	e := newEnv(t, open(t), func(cfg *provider.Config) {
		cfg.RefreshReuseInterval = interval
		cfg.Now = c.now
	})
	return e, c
}

// refreshAs redeems a refresh token as the given client.
func (e *env) refreshAs(clientID, rt string) (*http.Response, map[string]any) {
	e.t.Helper()
	return e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, clientID, webSecret)
}

// pair is what a client keeps from a token response.
func pair(out map[string]any) [3]any {
	return [3]any{out["access_token"], out["refresh_token"], out["id_token"]}
}

// TestSecurityRefreshReuseWithinInterval: "within the refresh token reuse
// interval, a second presentation of the just-rotated refresh token by the
// same client returns the same new token pair instead of revoking the
// family" (RFC 9700 §4.14.2).
func TestSecurityRefreshReuseWithinInterval(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, clk := graceEnv(t, open, 10*time.Second)
		tok, _ := e.signedIn(e.webRP(), e.browser())
		resp, first := e.refresh(tok.RefreshToken)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %v", resp.StatusCode, first)
		}
		clk.advance(5 * time.Second)
		resp, again := e.refresh(tok.RefreshToken)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("second presentation within the interval: %d %v", resp.StatusCode, again)
		}
		if pair(again) != pair(first) {
			t.Errorf("second presentation answered another pair:\n%v\nwant\n%v", again, first)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
		}
		if n, ok := again["expires_in"].(float64); !ok || n > first["expires_in"].(float64)-4 {
			t.Errorf("expires_in = %v, want the first answer's (%v) less the time passed", again["expires_in"], first["expires_in"])
		}
		if e.introspect(first["access_token"].(string))["active"] != true {
			t.Error("the family's access token was revoked")
		}
		if resp, out := e.refresh(first["refresh_token"].(string)); resp.StatusCode != http.StatusOK {
			t.Errorf("the family's new refresh token no longer works: %d %v", resp.StatusCode, out)
		}
	})
}

// TestSecurityRefreshReuseAfterInterval: "after the interval, reuse
// revokes the family" as it does with no interval (RFC 9700 §4.14.2).
func TestSecurityRefreshReuseAfterInterval(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, clk := graceEnv(t, open, 10*time.Second)
		tok, _ := e.signedIn(e.webRP(), e.browser())
		resp, first := e.refresh(tok.RefreshToken)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %v", resp.StatusCode, first)
		}
		clk.advance(11 * time.Second)
		if resp, out := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("reuse after the interval: %d %v, want invalid_grant", resp.StatusCode, out)
		}
		if e.introspect(first["access_token"].(string))["active"] != false {
			t.Error("the family's access token survived reuse")
		}
		if resp, out := e.refresh(first["refresh_token"].(string)); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("the family's refresh token survived reuse: %d %v", resp.StatusCode, out)
		}
	})
}

// TestSecurityRefreshReuseByAnotherClient: "a refresh token is only ever
// redeemed by the client it was issued to" (RFC 6749 §6), within the reuse
// interval as well: another client gets invalid_grant and learns nothing.
func TestSecurityRefreshReuseByAnotherClient(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := graceEnv(t, open, time.Minute)
		tok, _ := e.signedIn(e.webRP(), e.browser())
		resp, first := e.refresh(tok.RefreshToken)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %v", resp.StatusCode, first)
		}
		resp, out := e.refreshAs("web2", tok.RefreshToken)
		if resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" || out["access_token"] != nil {
			t.Fatalf("another client within the interval: %d %v, want invalid_grant", resp.StatusCode, out)
		}
		if resp, out := e.refreshAs("web", tok.RefreshToken); resp.StatusCode != http.StatusOK || pair(out) != pair(first) {
			t.Errorf("the owner's second presentation after another client's: %d %v", resp.StatusCode, out)
		}
	})
}

// TestSecurityRefreshReuseConcurrent: parallel refreshes with one token,
// the case the reuse interval is for, all get the one pair that was
// issued, and the family stays alive.
func TestSecurityRefreshReuseConcurrent(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := graceEnv(t, open, time.Minute)
		for round := range 3 {
			tok, _ := e.signedIn(e.webRP(), e.browser())
			const n = 4
			outs := make([]map[string]any, n)
			codes := make([]int, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					resp, out := e.refresh(tok.RefreshToken)
					codes[i], outs[i] = resp.StatusCode, out
				}()
			}
			close(start)
			wg.Wait()
			for i := range n {
				if codes[i] != http.StatusOK || !reflect.DeepEqual(pair(outs[i]), pair(outs[0])) {
					t.Fatalf("round %d: answers differ: %v %v", round, codes, outs)
				}
			}
			if resp, out := e.refresh(outs[0]["refresh_token"].(string)); resp.StatusCode != http.StatusOK {
				t.Errorf("round %d: the issued refresh token does not work: %d %v", round, resp.StatusCode, out)
			}
		}
	})
}
