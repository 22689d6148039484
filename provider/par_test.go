package provider_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// pushed is the answer of the PAR endpoint (RFC 9126 §2.2).
type pushed struct {
	status     int
	requestURI string
	expiresIn  float64
	errCode    string
}

// push sends the parameters of a's authorization request (as x/oauth2
// builds them, PKCE and nonce included) to the PAR endpoint, with the
// client's secret, plus extra.
func (r *rp) push(a *authRequest, extra url.Values) pushed {
	r.e.t.Helper()
	u := must(url.Parse(r.authURL(a)))
	form := u.Query()
	for k, v := range extra {
		form[k] = v
	}
	resp, out := r.e.postForm("/oauth2/par", form, r.oauth.ClientID, r.oauth.ClientSecret)
	p := pushed{status: resp.StatusCode}
	p.requestURI, _ = out["request_uri"].(string)
	p.expiresIn, _ = out["expires_in"].(float64)
	p.errCode, _ = out["error"].(string)
	return p
}

// pushedURL is the authorization request that uses a pushed request.
func (r *rp) pushedURL(requestURI string, extra url.Values) string {
	q := url.Values{"client_id": {r.oauth.ClientID}, "request_uri": {requestURI}}
	for k, v := range extra {
		q[k] = v
	}
	return r.e.issuer + "/oauth2/authorize?" + q.Encode()
}

// TestPARCodeFlow: a pushed request, then the browser sent with its
// request_uri, signs in and consents; x/oauth2 redeems the code and
// go-oidc verifies the ID token. Discovery names the endpoint.
func TestPARCodeFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		var m struct {
			PAR     string `json:"pushed_authorization_request_endpoint"`
			Require bool   `json:"require_pushed_authorization_requests"`
		}
		e.getJSON("/.well-known/openid-configuration", &m)
		if m.PAR != e.issuer+"/oauth2/par" || m.Require {
			t.Fatalf("discovery: %+v", m)
		}
		web := e.webRP()
		a := newAuthRequest()
		p := web.push(a, nil)
		if p.status != http.StatusCreated || p.requestURI == "" || p.expiresIn != 60 {
			t.Fatalf("push: %+v, want 201 with a request_uri valid 60 s", p)
		}
		b := e.browser()
		tok, claims := web.redeem(b.signIn(web.pushedURL(p.requestURI, nil), "alice", alicePass), a)
		if claims["preferred_username"] != "alice" || tok.RefreshToken == "" {
			t.Errorf("claims %v, refresh token %q", claims, tok.RefreshToken)
		}
		// Signed in already: the next pushed request goes straight back.
		a2 := newAuthRequest()
		p2 := web.push(a2, nil)
		pg := b.get(web.pushedURL(p2.requestURI, nil))
		if pg.isLogin() || pg.isConsent() {
			t.Fatalf("signed-in member sent to a page: %s", pg.body)
		}
		if _, c := web.redeem(pg.redirect(t), a2); c["sid"] != claims["sid"] {
			t.Errorf("sid %v, want %v", c["sid"], claims["sid"])
		}
	})
}

// TestPARSurvivesRestart: the pushed request is parked in the flow at the
// login page, so a restart between push, login and consent loses nothing.
func TestPARSurvivesRestart(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		web := e.webRP()
		a := newAuthRequest()
		p := web.push(a, nil)
		e.restart()
		b := e.browser()
		pg := b.get(web.pushedURL(p.requestURI, nil))
		if !pg.isLogin() {
			t.Fatalf("want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		e.restart()
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("login after restart: want the consent page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		e.restart()
		_, claims := web.redeem(b.submit(pg, nil, "consent", "allow").redirect(t), a)
		if claims["preferred_username"] != "alice" {
			t.Errorf("claims %v", claims)
		}
	})
}

// TestPARRequiredFlowFinishes: under --require-par the parked request
// replayed after the login is not refused as a plain one.
func TestPARRequiredFlowFinishes(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t), func(c *provider.Config) { c.RequirePAR = true })
		var m struct {
			Require bool `json:"require_pushed_authorization_requests"`
		}
		e.getJSON("/.well-known/openid-configuration", &m)
		if !m.Require {
			t.Error("discovery does not say pushed requests are required")
		}
		web := e.webRP()
		a := newAuthRequest()
		p := web.push(a, nil)
		_, claims := web.redeem(e.browser().signIn(web.pushedURL(p.requestURI, nil), "alice", alicePass), a)
		if claims["preferred_username"] != "alice" {
			t.Errorf("claims %v", claims)
		}
	})
}

// storedPushed returns the stored row of a request_uri.
func (e *env) storedPushed(requestURI string) (idp.PushedRequest, error) {
	sum := sha256.Sum256([]byte(requestURI))
	return e.store.Pushed.Get(context.Background(), hex.EncodeToString(sum[:]), time.Now())
}

// getJSON decodes the JSON answer of a GET to a provider path.
func (e *env) getJSON(path string, into any) {
	e.t.Helper()
	resp := must(testClient.Get(e.issuer + path))
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
}
