package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// claimsAttack asks by name for claims the scopes do not carry.
const claimsAttack = `{"id_token":{"email":null,"roles":null,"name":null},"userinfo":{"email":null,"name":null,"roles":null}}`

// memberClaimNames are the claims that describe the member and are carried
// by a scope (profile, email, roles).
var memberClaimNames = []string{"name", "preferred_username", "updated_at", "email", "email_verified", "roles"}

// userinfoClaims fetches the userinfo claims with the bearer header.
func (e *env) userinfoClaims(accessToken string) map[string]any {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp := must(testClient.Do(req))
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("userinfo: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		e.t.Fatalf("userinfo: %v", err)
	}
	return out
}

// consentScopes returns the scope names a consent page lists.
func consentScopes(pg *page) []string {
	var out []string
	var walk func(n *htmlNode, in bool)
	walk = func(n *htmlNode, in bool) {
		if n.Type == html.ElementNode && n.Data == "ul" && attr(n, "id") == "scopes" {
			in = true
		}
		if in && n.Data == "code" && n.FirstChild != nil {
			out = append(out, n.FirstChild.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(pg.doc, false)
	return out
}

// releasedMemberClaims lists which member claims a claim set carries.
func releasedMemberClaims(claims map[string]any) []string {
	var out []string
	for _, n := range memberClaimNames {
		if _, ok := claims[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// TestSecurityClaimsParameterNeedsAllowedScope: "A claim is released only
// when the scope that carries it is allowed for the client and granted by
// the member." A client registered for openid alone asks for email, name
// and roles through the claims parameter (OpenID Connect Core §5.5); the
// consent page lists only openid and neither the ID token nor userinfo
// carries any of them.
func TestSecurityClaimsParameterNeedsAllowedScope(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		const redirect = "http://narrow.localhost/callback"
		e.addClient(idp.Client{
			ID: "narrow", Name: "Narrow App", RedirectURIs: []string{redirect},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"},
		}, webSecret)
		r := e.rp("narrow", webSecret, redirect, "openid")
		var disco struct {
			Claims *bool `json:"claims_parameter_supported"`
		}
		if err := r.provider.Claims(&disco); err != nil || disco.Claims == nil || *disco.Claims {
			t.Errorf("discovery promises the claims parameter (%v, %v), which releases nothing beyond the scopes", disco.Claims, err)
		}
		a := newAuthRequest(oauth2.SetAuthURLParam("claims", claimsAttack))

		b := e.browser()
		pg := b.get(r.authURL(a))
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("want the consent page, got status %d: %s", pg.resp.StatusCode, pg.body)
		}
		if got := consentScopes(pg); strings.Join(got, " ") != "openid" {
			t.Errorf("consent page lists %q, want only openid", got)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		tok, err := r.exchange(e.code(pg.redirect(t), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		_, idClaims := r.idToken(tok, a.nonce)
		if got := releasedMemberClaims(idClaims); len(got) > 0 {
			t.Errorf("ID token released %v without their scopes: %v", got, idClaims)
		}
		if got := releasedMemberClaims(e.userinfoClaims(tok.AccessToken)); len(got) > 0 {
			t.Errorf("userinfo released %v without their scopes", got)
		}
	})
}

// TestSecurityClaimsParameterNeedsGrantedScope: "A claim is released only
// when the scope that carries it is allowed for the client and granted by
// the member." The client may ask for email, but the member granted only
// openid: asking for email by name releases nothing; granting the email
// scope releases it.
func TestSecurityClaimsParameterNeedsGrantedScope(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP("openid")
		a := newAuthRequest(oauth2.SetAuthURLParam("claims", claimsAttack))
		b := e.browser()
		pg := b.get(r.authURL(a))
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if got := consentScopes(pg); strings.Join(got, " ") != "openid" {
			t.Errorf("consent page lists %q, want only openid", got)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		tok, err := r.exchange(e.code(pg.redirect(t), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		_, idClaims := r.idToken(tok, a.nonce)
		if got := releasedMemberClaims(idClaims); len(got) > 0 {
			t.Errorf("ID token released %v without a granted scope: %v", got, idClaims)
		}
		if got := releasedMemberClaims(e.userinfoClaims(tok.AccessToken)); len(got) > 0 {
			t.Errorf("userinfo released %v without a granted scope", got)
		}

		// Remembered consent for openid does not stretch to email: asking
		// for the email scope again shows the consent page, and once it is
		// granted the claims request is answered for email.
		r = e.webRP("openid", "email")
		a = newAuthRequest(oauth2.SetAuthURLParam("claims", `{"id_token":{"email":null},"userinfo":{"email":null}}`))
		pg = b.get(r.authURL(a))
		if !pg.isConsent() {
			t.Fatalf("remembered openid consent covered the email scope: status %d", pg.resp.StatusCode)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		tok, err = r.exchange(e.code(pg.redirect(t), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		_, idClaims = r.idToken(tok, a.nonce)
		if idClaims["email"] != aliceEmail {
			t.Errorf("ID token lacks the granted email: %v", idClaims)
		}
		ui := e.userinfoClaims(tok.AccessToken)
		if ui["email"] != aliceEmail {
			t.Errorf("userinfo lacks the granted email: %v", ui)
		}
		if _, ok := ui["name"]; ok {
			t.Errorf("userinfo released name without the profile scope: %v", ui)
		}
	})
}

// TestSecurityClaimsFollowClientScopes: "A claim is released only when the
// scope that carries it is allowed for the client." A scope taken away from
// the client's registration stops releasing its claims at userinfo, even
// for an access token granted before.
func TestSecurityClaimsFollowClientScopes(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		var ahead atomic.Int64 // how far the provider's clock runs ahead
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
		})
		tok, _ := e.signedIn(e.webRP(), e.browser())
		if e.userinfoClaims(tok.AccessToken)["email"] != aliceEmail {
			t.Fatal("userinfo lacks email before the change")
		}
		ctx := context.Background()
		c := must(e.store.Clients.ByID(ctx, "web"))
		c.Scopes = []string{"openid", "profile", "offline_access"}
		if err := e.store.Clients.Update(ctx, c); err != nil {
			t.Fatal(err)
		}
		ahead.Store(int64(time.Minute)) // past the client cache
		ui := e.userinfoClaims(tok.AccessToken)
		for _, n := range []string{"email", "email_verified", "roles"} {
			if _, ok := ui[n]; ok {
				t.Errorf("userinfo released %s after its scope was withdrawn from the client: %v", n, ui)
			}
		}
		if ui["name"] != "Alice Example" {
			t.Errorf("userinfo lost the still-allowed profile claims: %v", ui)
		}
	})
}

// TestSecurityClaimsParameterMalformed: "Bad input gets a clear,
// spec-shaped error and changes nothing." A claims parameter that is not
// UTF-8 JSON of the §5.5 form is refused with invalid_request before the
// member is asked to sign in.
func TestSecurityClaimsParameterMalformed(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP("openid")
		for _, claims := range []string{"{\"id_token\":{\"\x8e\":{}}}", `{"userinfo":["email"]}`, `not json`} {
			a := newAuthRequest(oauth2.SetAuthURLParam("claims", claims))
			pg := e.browser().get(r.authURL(a))
			if pg.isLogin() {
				t.Errorf("claims %q: the login page was shown", claims)
				continue
			}
			q := pg.redirect(t).Query()
			if q.Get("error") != "invalid_request" || q.Get("state") != a.state {
				t.Errorf("claims %q: redirected with %v, want invalid_request", claims, q)
			}
		}
	})
}
