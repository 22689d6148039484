package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// Who may use the admin API: only a token with idp:admin of a client
// registered for it or of an admin member. Everyone else is told why in a
// Bearer challenge (RFC 6750 §3).
func TestAdminAPIRefusesWhoMayNot(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		r := e.call("", http.MethodGet, "/members", nil).want(t, http.StatusUnauthorized, "unauthorized")
		if c := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(c, "Bearer ") || strings.Contains(c, "error=") {
			t.Errorf("no token: WWW-Authenticate %q, want a Bearer challenge without an error code", c)
		}
		r = e.call("not-a-token", http.MethodGet, "/members", nil).want(t, http.StatusUnauthorized, "unauthorized")
		if c := r.header.Get("WWW-Authenticate"); !strings.Contains(c, `error="invalid_token"`) {
			t.Errorf("bad token: WWW-Authenticate %q, want invalid_token", c)
		}
		svc := e.clientToken("svc", svcSecret, "api:read")
		r = e.call(svc, http.MethodGet, "/members", nil).want(t, http.StatusForbidden, "forbidden")
		if c := r.header.Get("WWW-Authenticate"); !strings.Contains(c, `error="insufficient_scope"`) {
			t.Errorf("token without the scope: WWW-Authenticate %q, want insufficient_scope", c)
		}
		// bob is no admin: the scope granted to the console does not make him one.
		bob := e.memberToken("bob", bobPass)
		e.call(bob, http.MethodGet, "/members", nil).want(t, http.StatusForbidden, "forbidden")
		// A token whose signature does not verify.
		e.call(e.clientToken("ops", opsSecret, idp.ScopeAdmin)+"x", http.MethodGet, "/members", nil).want(t, http.StatusUnauthorized)

		alice := e.memberToken("alice", alicePass)
		e.call(alice, http.MethodGet, "/members", nil).want(t, http.StatusOK)
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		e.call(ops, http.MethodGet, "/clients", nil).want(t, http.StatusOK)

		// Demoting alice takes effect on her next request, token or not.
		m, _ := e.store.Members.ByUsername(t.Context(), "alice")
		m.Role = idp.RoleMember
		if err := e.store.Members.Update(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		e.call(alice, http.MethodGet, "/members", nil).want(t, http.StatusForbidden, "forbidden")

		// The document is public.
		e.call("", http.MethodGet, "/openapi.json", nil).want(t, http.StatusOK)
		e.send(false, ops, http.MethodGet, "/nothing-here", nil).want(t, http.StatusNotFound, "not-found")
	})
}

// Only an active access token is a credential: not a revoked one, not an
// expired one, not a refresh token.
func TestAdminAPIRefusesInactiveTokens(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open, func(c *provider.Config) { c.AccessTokenLifespan = 2 * time.Second })
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		e.call(ops, http.MethodGet, "/keys", nil).want(t, http.StatusOK)
		resp, _ := e.post("/oauth2/revoke", url.Values{"token": {ops}}, "ops", opsSecret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		e.call(ops, http.MethodGet, "/keys", nil).want(t, http.StatusUnauthorized, "unauthorized")

		web := e.webRP()
		tok, _ := e.signedInAs(web, e.browser(), "alice", alicePass)
		e.call(tok.RefreshToken, http.MethodGet, "/keys", nil).want(t, http.StatusUnauthorized, "unauthorized")

		ops = e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		time.Sleep(3 * time.Second)
		e.call(ops, http.MethodGet, "/keys", nil).want(t, http.StatusUnauthorized, "unauthorized")
	})
}
