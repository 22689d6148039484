package provider_test

import (
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

// refusedPage asserts an authorization request was answered with an
// error page, never a redirect to the client.
func refusedPage(t *testing.T, pg *page, what string) {
	t.Helper()
	if pg.resp.StatusCode < 400 || pg.resp.StatusCode >= 500 {
		t.Fatalf("%s: status %d, want an error page (4xx): %s", what, pg.resp.StatusCode, pg.body)
	}
}

// A request_uri is used once: a second use (a replayed link, a leaked
// URL) is refused, and so is the loser of a race, without a 500.
func TestSecurityPARSingleUse(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		web := e.rp("web2", webSecret, "http://rp2.localhost/callback", "openid")
		b := e.browser()
		a := newAuthRequest()
		p := web.push(a, nil)
		web.redeem(b.signIn(web.pushedURL(p.requestURI, nil), "alice", alicePass), a)
		refusedPage(t, b.get(web.pushedURL(p.requestURI, nil)), "second use")

		b = e.browser() // signed out: a use that wins starts a flow
		p = web.push(newAuthRequest(), nil)
		var codes, refused atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				pg := b.get(web.pushedURL(p.requestURI, nil))
				loc, _ := url.Parse(pg.resp.Header.Get("Location"))
				switch {
				case pg.isLogin():
					codes.Add(1) // a flow started: this use won
				case pg.resp.StatusCode >= 400 && pg.resp.StatusCode < 500,
					loc.Query().Get("error") == "invalid_request_uri" && !loc.Query().Has("code"):
					refused.Add(1)
				default:
					t.Errorf("concurrent use: status %d: %s", pg.resp.StatusCode, pg.body)
				}
			})
		}
		wg.Wait()
		if codes.Load() != 1 || refused.Load() != 7 {
			t.Errorf("concurrent uses: %d redirects, %d refusals; want 1 and 7", codes.Load(), refused.Load())
		}
	})
}

// An expired request_uri is refused: fosite itself checks no expiry.
func TestSecurityPARExpired(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		var skew atomic.Int64
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		})
		web := e.webRP()
		p := web.push(newAuthRequest(), nil)
		skew.Store(int64(61 * time.Second))
		refusedPage(t, e.browser().get(web.pushedURL(p.requestURI, nil)), "expired request_uri")
	})
}

// Plain requests are refused for a client registered with
// require_pushed_authorization_requests, and for every client under
// --require-par, with invalid_request sent back to the client.
func TestSecurityPARRequired(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{
			ID: "strict", Name: "Strict", RedirectURIs: []string{"http://strict.localhost/cb"},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}, SkipConsent: true, RequirePAR: true,
		}, webSecret)
		strict := e.rp("strict", webSecret, "http://strict.localhost/cb", "openid")
		b := e.browser()
		if got := strict.authError(b); got != "invalid_request" {
			t.Errorf("plain request of a client requiring PAR: %q, want invalid_request", got)
		}
		a := newAuthRequest()
		p := strict.push(a, nil)
		strict.redeem(b.signIn(strict.pushedURL(p.requestURI, nil), "alice", alicePass), a)
		// Other clients are not affected.
		e.rp("web2", webSecret, "http://rp2.localhost/callback", "openid").silent(b)

		g := newEnv(t, open(t), func(c *provider.Config) { c.RequirePAR = true })
		if got := g.webRP().authError(g.browser()); got != "invalid_request" {
			t.Errorf("plain request under --require-par: %q, want invalid_request", got)
		}
	})
}

// The PAR endpoint authenticates the client as the token endpoint does,
// and refuses a request_uri or a request object inside the pushed body.
func TestSecurityPARRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		web := e.webRP()
		for name, tc := range map[string]struct {
			rp    *rp
			extra url.Values
			code  string
		}{
			"wrong secret":          {e.rp("web", "wrong-secret-0123456789", webRedirect, "openid"), nil, "invalid_client"},
			"unknown client":        {e.rp("nobody", webSecret, webRedirect, "openid"), nil, "invalid_client"},
			"request_uri in body":   {web, url.Values{"request_uri": {"urn:ietf:params:oauth:request_uri:abc"}}, "invalid_request"},
			"request object":        {web, url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}, "request_not_supported"},
			"unregistered redirect": {web, url.Values{"redirect_uri": {"https://evil.example/cb"}}, "invalid_request"},
			"token response type":   {web, url.Values{"response_type": {"token"}}, "unsupported_response_type"},
			"plain pkce":            {web, url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
			"repeated parameter":    {web, url.Values{"scope": {"openid", "openid email"}}, "invalid_request"},
		} {
			p := tc.rp.push(newAuthRequest(), tc.extra)
			if p.status < 400 || p.status >= 500 || p.errCode != tc.code || p.requestURI != "" {
				t.Errorf("%s: %+v, want %s", name, p, tc.code)
			}
		}
	})
}

// Only the pushed parameters count: what the front channel adds beside
// request_uri (another state, nonce or redirect_uri) is ignored, and
// another client cannot use a request_uri it did not push.
func TestSecurityPARFrontChannelIgnored(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		web := e.rp("web2", webSecret, "http://rp2.localhost/callback", "openid")
		b := e.browser()
		a := newAuthRequest()
		p := web.push(a, nil)
		// redeem checks the pushed state and verifies the pushed nonce.
		web.redeem(b.signIn(web.pushedURL(p.requestURI, url.Values{
			"state": {"attacker-state"}, "nonce": {"attacker-nonce"},
			"redirect_uri": {"https://evil.example/cb"}, "prompt": {"none"},
		}), "alice", alicePass), a)

		p = web.push(newAuthRequest(), nil)
		other := e.webRP()
		// The pushing client's redirect URI was validated, so the refusal
		// may go there; no code goes anywhere.
		if pg := b.get(other.pushedURL(p.requestURI, nil)); pg.resp.StatusCode < 400 {
			q := pg.redirect(t).Query()
			if q.Has("code") || q.Get("error") != "invalid_request" {
				t.Errorf("another client's request_uri: redirected with %v, want invalid_request and no code", q)
			}
		}
		refusedPage(t, b.get(other.pushedURL("urn:ietf:params:oauth:request_uri:forged", nil)), "forged request_uri")
	})
}

// The stored pushed request holds no client credential: the secret
// proves who pushed it and is not kept.
func TestSecurityPARStoresNoSecret(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{
			ID: "post", Name: "Post", RedirectURIs: []string{webRedirect}, TokenEndpointAuthMethod: idp.AuthMethodPost,
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"},
		}, webSecret)
		web := e.rp("post", webSecret, webRedirect, "openid")
		a := newAuthRequest()
		u := must(url.Parse(web.authURL(a)))
		form := u.Query()
		form.Set("client_secret", webSecret)
		resp, out := e.postForm("/oauth2/par", form, "", "")
		uri, _ := out["request_uri"].(string)
		if resp.StatusCode != http.StatusCreated || uri == "" {
			t.Fatalf("push with client_secret_post: %d %v", resp.StatusCode, out)
		}
		row, err := e.storedPushed(uri)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(row.Request, webSecret) || strings.Contains(row.Request, "client_secret") {
			t.Errorf("stored pushed request holds the client secret: %s", row.Request)
		}
		if strings.Contains(row.Hash, strings.TrimPrefix(uri, "urn:ietf:params:oauth:request_uri:")) {
			t.Error("the store holds the request_uri itself, not its hash")
		}
	})
}
