package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// TestKeyScheduleInProvider: with --key-rotation-interval, a provider
// started after the signing key has served the interval adds the next
// key, publishes it in the JWKS while the old key still signs, and signs
// with it once its activation time comes; the rotation is in the audit
// trail, by the system.
func TestKeyScheduleInProvider(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		c := &clock{}
		e := newEnv(t, open(t), func(cfg *provider.Config) {
			cfg.Now = c.now
			cfg.KeyRotationInterval = keys.MinRotationInterval
		})
		token := func() string {
			t.Helper()
			resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("client credentials: %d %v", resp.StatusCode, out)
			}
			return out["access_token"].(string)
		}
		first := kids(fetchJWKS(t, e.issuer))
		if len(first) != 1 {
			t.Fatalf("JWKS kids at start = %v, want one", first)
		}

		c.advance(keys.MinRotationInterval + time.Minute)
		e.restart()
		deadline := time.Now().Add(30 * time.Second)
		var published []string
		for published = kids(fetchJWKS(t, e.issuer)); len(published) < 2 && time.Now().Before(deadline); published = kids(fetchJWKS(t, e.issuer)) {
			time.Sleep(50 * time.Millisecond)
		}
		if len(published) != 2 || !slices.Contains(published, first[0]) {
			t.Fatalf("JWKS kids after the interval = %v, want %v and the next key", published, first)
		}
		if kid := kidOf(t, token()); kid != first[0] {
			t.Errorf("a token was signed with %s before the next key's activation; want %s", kid, first[0])
		}
		next := published[0]
		if next == first[0] {
			next = published[1]
		}

		c.advance(keys.MinActivateAfter + time.Second)
		if kid := kidOf(t, token()); kid != next {
			t.Errorf("after activation a token was signed with %s, want the next key %s", kid, next)
		}
		list, _, err := e.store.Audit.List(context.Background(), storage.AuditQuery{Type: idp.AuditKeyRotated})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Actor != idp.ActorSystem || list[0].Detail["kid"] != next {
			t.Errorf("key.rotated events = %+v; want one by the system for %s", list, next)
		}
	})
}
