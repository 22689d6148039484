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
// started after the signing keys have served the interval adds the next
// key of each algorithm, publishes it in the JWKS while the old key still signs, and signs
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
		first := kids(fetchJWKS(t, e.issuer)) // one key per algorithm
		signer := kidOf(t, token())

		c.advance(keys.MinRotationInterval + time.Minute)
		e.restart()
		deadline := time.Now().Add(30 * time.Second)
		var published []string
		for published = kids(fetchJWKS(t, e.issuer)); len(published) < 2*len(first) && time.Now().Before(deadline); published = kids(fetchJWKS(t, e.issuer)) {
			time.Sleep(50 * time.Millisecond)
		}
		if len(published) != 2*len(first) {
			t.Fatalf("JWKS kids after the interval = %v, want %v and a next key for each", published, first)
		}
		for _, k := range first {
			if !slices.Contains(published, k) {
				t.Fatalf("JWKS kids after the interval = %v, lost %s", published, k)
			}
		}
		if kid := kidOf(t, token()); kid != signer {
			t.Errorf("a token was signed with %s before the next key's activation; want %s", kid, signer)
		}

		c.advance(keys.MinActivateAfter + time.Second)
		next := kidOf(t, token())
		if slices.Contains(first, next) || !slices.Contains(published, next) {
			t.Errorf("after activation a token was signed with %s; want a next key published beforehand (%v)", next, published)
		}
		list, _, err := e.store.Audit.List(context.Background(), storage.AuditQuery{Type: idp.AuditKeyRotated})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(first) {
			t.Fatalf("key.rotated events = %+v; want one per algorithm", list)
		}
		for _, ev := range list {
			if ev.Actor != idp.ActorSystem || !slices.Contains(published, ev.Detail["kid"].(string)) || slices.Contains(first, ev.Detail["kid"].(string)) {
				t.Errorf("key.rotated event %+v; want one by the system for a next key", ev)
			}
		}
	})
}
