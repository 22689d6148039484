package provider_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/storage"
)

// metadata is the part of discovery whose every value makes a promise.
type metadata struct {
	Issuer                        string   `json:"issuer"`
	ScopesSupported               []string `json:"scopes_supported"`
	ClaimsSupported               []string `json:"claims_supported"`
	ResponseTypesSupported        []string `json:"response_types_supported"`
	ResponseModesSupported        []string `json:"response_modes_supported"`
	GrantTypesSupported           []string `json:"grant_types_supported"`
	SubjectTypesSupported         []string `json:"subject_types_supported"`
	IDTokenSigningAlgs            []string `json:"id_token_signing_alg_values_supported"`
	UserinfoSigningAlgs           []string `json:"userinfo_signing_alg_values_supported"`
	TokenEndpointAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionAuthMethods      []string `json:"introspection_endpoint_auth_methods_supported"`
	CodeChallengeMethods          []string `json:"code_challenge_methods_supported"`
	PromptValues                  []string `json:"prompt_values_supported"`
	ClaimsParameterSupported      bool     `json:"claims_parameter_supported"`
	ACRValues                     []string `json:"acr_values_supported"`
	RequestParameterSupported     bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported  bool     `json:"request_uri_parameter_supported"`
	AuthorizationResponseISSParam bool     `json:"authorization_response_iss_parameter_supported"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	UserinfoEndpoint              string   `json:"userinfo_endpoint"`
	RevocationEndpoint            string   `json:"revocation_endpoint"`
	DeviceAuthorizationEndpoint   string   `json:"device_authorization_endpoint"`
	IntrospectionEndpoint         string   `json:"introspection_endpoint"`
	EndSessionEndpoint            string   `json:"end_session_endpoint"`
	JWKSURI                       string   `json:"jwks_uri"`
	DPoPSigningAlgs               []string `json:"dpop_signing_alg_values_supported"`
	PAREndpoint                   string   `json:"pushed_authorization_request_endpoint"`
	RequirePAR                    bool     `json:"require_pushed_authorization_requests"`
	TokenAuthSigningAlgs          []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IntrospectionAuthSigningAlgs  []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	RevocationAuthSigningAlgs     []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
}

func (e *env) metadata() metadata {
	e.t.Helper()
	resp := must(testClient.Get(e.issuer + "/.well-known/openid-configuration"))
	defer resp.Body.Close()
	var m metadata
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		e.t.Fatalf("discovery: %v", err)
	}
	return m
}

// responseParams drives the login and consent pages (allowing) and returns
// the authorization response's parameters, in whichever response mode it
// came: query, fragment or a form_post page.
func (b *browser) responseParams(authURL string) url.Values {
	b.t.Helper()
	pg := b.get(authURL)
	if pg.isLogin() {
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
	}
	if pg.isConsent() {
		pg = b.submit(pg, nil, "consent", "allow")
	}
	if form := findForm(pg.doc); pg.resp.StatusCode == http.StatusOK && form != nil {
		return idptest.HiddenFields(form)
	}
	cb := pg.redirect(b.t)
	if cb.Fragment != "" {
		return must(url.ParseQuery(cb.Fragment))
	}
	return cb.Query()
}

// codeOf checks an authorization response and returns its code.
func (e *env) codeOf(got url.Values, a *authRequest) string {
	e.t.Helper()
	if got.Get("error") != "" || got.Get("code") == "" || got.Get("state") != a.state || got.Get("iss") != e.issuer {
		e.t.Fatalf("authorization response %v: want code, state %q and iss", got, a.state)
	}
	return got.Get("code")
}

// userinfo fetches the userinfo claims for an access token.
func (e *env) userinfo(token string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp := must(testClient.Do(req))
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

// TestSecurityDiscoveryPromises: "discovery can never again promise what
// the provider refuses" (OpenID Connect Discovery §3). The test reads
// discovery and exercises every advertised value; a value it does not know
// how to exercise fails it, so a new promise needs a proof.
func TestSecurityDiscoveryPromises(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{
			ID: "svcpost", Name: "Service (post)", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"},
			TokenEndpointAuthMethod: idp.AuthMethodPost,
		}, svcSecret)
		e.addClient(idp.Client{
			ID: "webpost", Name: "Web (post)", RedirectURIs: []string{"http://post.localhost/cb"}, SkipConsent: true,
			GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "offline_access"},
			TokenEndpointAuthMethod: idp.AuthMethodPost,
		}, webSecret)
		m := e.metadata()
		// Every advertised scope is one the web client may ask for, and
		// alice has a value for every advertised claim.
		e.setClientScopes("web", m.ScopesSupported...)
		e.setProfile(aliceEmail, aliceProfile())
		e.exerciseDPoPAlgs(m.DPoPSigningAlgs)
		unknown := func(field, v string) { t.Errorf("%s advertises %q, which this test cannot exercise", field, v) }

		if m.Issuer != e.issuer {
			t.Errorf("issuer %q, want %q", m.Issuer, e.issuer)
		}
		for _, ep := range []string{m.AuthorizationEndpoint, m.TokenEndpoint, m.UserinfoEndpoint, m.RevocationEndpoint, m.IntrospectionEndpoint, m.EndSessionEndpoint, m.JWKSURI, m.DeviceAuthorizationEndpoint} {
			if !strings.HasPrefix(ep, e.issuer+"/") {
				t.Errorf("endpoint %q is not under the issuer", ep)
			}
		}
		if m.RequestParameterSupported || m.RequestURIParameterSupported || !m.AuthorizationResponseISSParam {
			t.Errorf("request objects or iss advertised wrongly: %+v", m)
		}
		// The PAR endpoint takes a pushed request whose request_uri then
		// completes a code flow (RFC 9126); plain requests are allowed.
		if m.PAREndpoint != "" {
			if !strings.HasPrefix(m.PAREndpoint, e.issuer+"/") || m.RequirePAR {
				t.Errorf("PAR advertised wrongly: %q, required %v", m.PAREndpoint, m.RequirePAR)
			}
			r := e.rp("webpost", webSecret, "http://post.localhost/cb", "openid")
			r.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInParams
			a := newAuthRequest()
			u := must(url.Parse(r.authURL(a)))
			form := u.Query()
			form.Set("client_secret", webSecret)
			resp, out := e.postForm(strings.TrimPrefix(m.PAREndpoint, e.issuer), form, "", "")
			uri, _ := out["request_uri"].(string)
			if resp.StatusCode != http.StatusCreated || uri == "" {
				t.Fatalf("PAR endpoint: %d %v", resp.StatusCode, out)
			}
			if _, err := r.exchange(e.codeOf(e.browser().responseParams(r.pushedURL(uri, nil)), a), a); err != nil {
				t.Errorf("pushed request's code: %v", err)
			}
		}

		// Every scope at once, every response type, challenge method and
		// response mode: each must deliver a code that redeems.
		web := e.webRP(m.ScopesSupported...)
		var tok *oauth2.Token
		var idClaims map[string]any
		for _, rt := range m.ResponseTypesSupported {
			if rt != "code" {
				unknown("response_types_supported", rt)
				continue
			}
			for _, method := range m.CodeChallengeMethods {
				if method != "S256" {
					unknown("code_challenge_methods_supported", method)
					continue
				}
				for _, mode := range m.ResponseModesSupported {
					if !slices.Contains([]string{"query", "fragment", "form_post"}, mode) {
						unknown("response_modes_supported", mode)
						continue
					}
					a := newAuthRequest(param("response_mode", mode), param("response_type", rt))
					code := e.codeOf(e.browser().responseParams(web.authURL(a)), a)
					var err error
					if tok, err = web.exchange(code, a); err != nil {
						t.Fatalf("response_mode %s: exchange: %v", mode, err)
					}
					var h map[string]any
					h, _ = jwtParts(t, tok.Extra("id_token").(string))
					if !slices.Contains(m.IDTokenSigningAlgs, h["alg"].(string)) {
						t.Errorf("ID token alg %v not advertised", h["alg"])
					}
					_, idClaims = web.idToken(tok, a.nonce)
				}
			}
		}
		if tok == nil {
			t.Fatal("no flow could be exercised")
		}
		granted := strings.Fields(tok.Extra("scope").(string))
		for _, s := range m.ScopesSupported {
			if !slices.Contains(granted, s) {
				t.Errorf("scope %q advertised but not granted: %v", s, granted)
			}
		}

		// Every advertised ID token algorithm signs a client's ID and
		// access tokens that go-oidc verifies through the JWKS.
		for _, alg := range m.IDTokenSigningAlgs {
			e.exerciseSigningAlg(alg)
		}

		// Every advertised claim reaches the client, in the ID token or at
		// userinfo, which answers plain JSON as "none" promises.
		resp, info := e.userinfo(tok.AccessToken)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("userinfo: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !slices.Equal(m.UserinfoSigningAlgs, []string{"none"}) {
			t.Errorf("userinfo_signing_alg_values_supported %v: only unsigned userinfo is exercised", m.UserinfoSigningAlgs)
		}
		for _, c := range m.ClaimsSupported {
			_, inID := idClaims[c]
			_, inInfo := info[c]
			if !inID && !inInfo {
				t.Errorf("claim %q advertised but never released", c)
			}
		}

		// The claims parameter (OpenID Connect Core §5.5) asks for a claim
		// by name; it is answered within the scopes the client may ask for.
		if !m.ClaimsParameterSupported {
			t.Error("claims_parameter_supported is false, yet the claims parameter is answered")
		}
		e.exerciseClaimsParameter()

		// Subject type public: one member has one sub for every client.
		for _, st := range m.SubjectTypesSupported {
			if st != "public" {
				unknown("subject_types_supported", st)
			}
		}
		b := e.browser()
		_, c1 := web.signInAs(b, "alice", alicePass)
		_, c2 := e.web2RP().signInAs(b, "alice", alicePass)
		if c1["sub"] != c2["sub"] {
			t.Errorf("public subject differs between clients: %v, %v", c1["sub"], c2["sub"])
		}

		// Every prompt value, in a browser already signed in.
		for _, p := range m.PromptValues {
			a := newAuthRequest(param("prompt", p))
			pg := b.get(web.authURL(a))
			switch p {
			case "none":
				if pg.doc != nil {
					t.Errorf("prompt=none showed a page")
				} else {
					e.codeOf(pg.redirect(t).Query(), a)
				}
			case "login", "select_account":
				if !pg.isLogin() {
					t.Errorf("prompt=%s: want the login page, got %d", p, pg.resp.StatusCode)
				}
			case "consent":
				if !pg.isConsent() {
					t.Errorf("prompt=consent: want the consent page, got %d", pg.resp.StatusCode)
				}
			default:
				unknown("prompt_values_supported", p)
			}
		}

		// Every grant type.
		rt := tok.RefreshToken
		for _, g := range m.GrantTypesSupported {
			switch g {
			case "authorization_code": // exercised above
			case "refresh_token":
				resp, out := e.refresh(rt)
				if resp.StatusCode != http.StatusOK || out["refresh_token"] == nil {
					t.Errorf("refresh_token grant: %d %v", resp.StatusCode, out["error"])
				}
			case "client_credentials":
				if resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {g}}, "svc", svcSecret); resp.StatusCode != http.StatusOK {
					t.Errorf("client_credentials grant: %d %v", resp.StatusCode, out["error"])
				}
			case idp.GrantDeviceCode:
				e.exerciseDeviceGrant(m.DeviceAuthorizationEndpoint)
			default:
				unknown("grant_types_supported", g)
			}
		}

		// Every token endpoint authentication method.
		for _, method := range m.TokenEndpointAuthMethods {
			var status int
			var out map[string]any
			switch method {
			case "client_secret_basic":
				var resp *http.Response
				resp, out = e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret)
				status = resp.StatusCode
			case "client_secret_post":
				var resp *http.Response
				resp, out = e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"svcpost"}, "client_secret": {svcSecret}}, "", "")
				status = resp.StatusCode
			case "private_key_jwt":
				e.exercisePrivateKeyJWT("/oauth2/token", m.TokenAuthSigningAlgs)
				continue
			case "none":
				spa := e.rp("spa", "", "http://127.0.0.1:9999/spa", "openid", "offline_access")
				a := newAuthRequest()
				if _, err := spa.exchange(e.codeOf(e.browser().responseParams(spa.authURL(a)), a), a); err != nil {
					t.Errorf("token endpoint auth none: %v", err)
				}
				continue
			default:
				unknown("token_endpoint_auth_methods_supported", method)
				continue
			}
			if status != http.StatusOK || out["access_token"] == nil {
				t.Errorf("token endpoint auth %s: %d %v", method, status, out["error"])
			}
		}

		// Every revocation endpoint authentication method: the revoked
		// refresh token no longer refreshes.
		for _, method := range m.RevocationEndpointAuthMethods {
			var clientID, secret, redirect string
			switch method {
			case "client_secret_basic":
				clientID, secret, redirect = "web", webSecret, webRedirect
			case "client_secret_post":
				clientID, secret, redirect = "webpost", webSecret, "http://post.localhost/cb"
			case "none":
				clientID, redirect = "spa", "http://127.0.0.1:9999/spa"
			case "private_key_jwt":
				e.exercisePrivateKeyJWT("/oauth2/revoke", m.RevocationAuthSigningAlgs)
				continue
			default:
				unknown("revocation_endpoint_auth_methods_supported", method)
				continue
			}
			r := e.rp(clientID, secret, redirect, "openid", "offline_access")
			if method == "client_secret_post" {
				r.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInParams
			}
			a := newAuthRequest()
			t3, err := r.exchange(e.codeOf(e.browser().responseParams(r.authURL(a)), a), a)
			if err != nil || t3.RefreshToken == "" {
				t.Fatalf("%s: tokens for revocation: %v", method, err)
			}
			form := url.Values{"token": {t3.RefreshToken}}
			user, pass := clientID, secret
			if method != "client_secret_basic" {
				form.Set("client_id", clientID)
				if secret != "" {
					form.Set("client_secret", secret)
				}
				user, pass = "", ""
			}
			if resp, out := e.postForm("/oauth2/revoke", form, user, pass); resp.StatusCode != http.StatusOK {
				t.Errorf("revocation with %s: %d %v", method, resp.StatusCode, out)
			}
			form.Set("grant_type", "refresh_token")
			form.Set("refresh_token", form.Get("token"))
			form.Del("token")
			if resp, out := e.postForm("/oauth2/token", form, user, pass); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
				t.Errorf("revocation with %s did not revoke: refresh answered %d %v", method, resp.StatusCode, out["error"])
			}
		}

		// Every introspection endpoint authentication method: the caller
		// learns its own token is active.
		for _, method := range m.IntrospectionAuthMethods {
			clientID, redirect := "web", webRedirect
			if method == "private_key_jwt" {
				e.exercisePrivateKeyJWT("/oauth2/introspect", m.IntrospectionAuthSigningAlgs)
				continue
			}
			if method == "client_secret_post" {
				clientID, redirect = "webpost", "http://post.localhost/cb"
			}
			r := e.rp(clientID, webSecret, redirect, "openid")
			if method == "client_secret_post" {
				r.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInParams
			}
			a := newAuthRequest()
			tok, err := r.exchange(e.codeOf(e.browser().responseParams(r.authURL(a)), a), a)
			if err != nil {
				t.Fatalf("%s: tokens for introspection: %v", method, err)
			}
			form := url.Values{"token": {tok.AccessToken}}
			user, pass := clientID, webSecret
			switch method {
			case "client_secret_basic":
			case "client_secret_post":
				form.Set("client_id", clientID)
				form.Set("client_secret", webSecret)
				user, pass = "", ""
			default:
				unknown("introspection_endpoint_auth_methods_supported", method)
				continue
			}
			if resp, out := e.postForm("/oauth2/introspect", form, user, pass); resp.StatusCode != http.StatusOK || out["active"] != true {
				t.Errorf("introspection with %s: %d %v", method, resp.StatusCode, out)
			}
		}
	})
}

// exerciseClaimsParameter asks for email by name with scope=openid: a
// client registered for email gets it shown on the consent page and, once
// allowed, in the ID token; a client registered for openid alone gets
// neither.
func (e *env) exerciseClaimsParameter() {
	e.t.Helper()
	b := e.browser()
	for _, tc := range []struct {
		id     string
		scopes []string
		shown  string
	}{{"mail", []string{"openid", "email"}, "openid email"}, {"narrow", []string{"openid"}, "openid"}} {
		redirect := "http://" + tc.id + ".localhost/callback"
		e.addClient(idp.Client{
			ID: tc.id, Name: tc.id, RedirectURIs: []string{redirect},
			GrantTypes: []string{"authorization_code"}, Scopes: tc.scopes,
		}, webSecret)
		r := e.rp(tc.id, webSecret, redirect, "openid")
		a := newAuthRequest(param("claims", `{"id_token":{"email":{"essential":true}}}`))
		pg := b.get(r.authURL(a))
		if pg.isLogin() {
			pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		}
		if !pg.isConsent() {
			e.t.Fatalf("claims parameter, %s: want the consent page, got status %d", tc.id, pg.resp.StatusCode)
		}
		if got := strings.Join(consentScopes(pg), " "); got != tc.shown {
			e.t.Errorf("claims parameter, %s: consent page lists %q, want %q", tc.id, got, tc.shown)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		tok, err := r.exchange(e.code(pg.redirect(e.t), a), a)
		if err != nil {
			e.t.Fatalf("claims parameter, %s: %v", tc.id, err)
		}
		_, c := r.idToken(tok, a.nonce)
		if want := strings.Contains(tc.shown, "email"); (c["email"] == aliceEmail) != want {
			e.t.Errorf("claims parameter, %s: ID token email %v, want released %v", tc.id, c["email"], want)
		}
	}
}

// exercisePrivateKeyJWT authenticates at endpoint with an assertion of
// every listed algorithm (aud the endpoint's URL): a token is issued, its
// introspection says active, its revocation makes it inactive.
func (e *env) exercisePrivateKeyJWT(endpoint string, algs []string) {
	e.t.Helper()
	if len(algs) == 0 {
		e.t.Errorf("private_key_jwt advertised for %s without signing algorithms", endpoint)
	}
	for _, alg := range algs {
		kc := e.addKeyClient("disc-"+strings.ToLower(alg)+strings.ReplaceAll(endpoint, "/", "-"), jose.SignatureAlgorithm(alg), "")
		aud := e.issuer + endpoint
		resp, out := kc.clientCredentials(kc.assertion(e.issuer + "/oauth2/token"))
		at, _ := out["access_token"].(string)
		if resp.StatusCode != http.StatusOK || at == "" {
			e.t.Errorf("private_key_jwt %s at the token endpoint: %d %v", alg, resp.StatusCode, out)
			continue
		}
		switch endpoint {
		case "/oauth2/introspect":
			if _, in := e.postForm(endpoint, withAssertion(url.Values{"token": {at}}, kc.assertion(aud)), "", ""); in["active"] != true {
				e.t.Errorf("private_key_jwt %s at introspection: %v", alg, in)
			}
		case "/oauth2/revoke":
			if resp, _ := e.postForm(endpoint, withAssertion(url.Values{"token": {at}}, kc.assertion(aud)), "", ""); resp.StatusCode != http.StatusOK {
				e.t.Errorf("private_key_jwt %s at revocation: %d", alg, resp.StatusCode)
			}
			if in := e.introspectWithKey(kc, at); in["active"] != false {
				e.t.Errorf("private_key_jwt %s: revoked token still active", alg)
			}
		}
	}
}

// TestSecurityDiscoveryACRValues: every advertised acr value is one a
// sign-in reaches and the ID token says, and asking for it with
// acr_values gets it from a member who can reach it: a password alone
// gives the password class, a password and a code the multi-factor one.
func TestSecurityDiscoveryACRValues(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.giveTOTP(aliceEmail)
		m := e.metadata()
		if len(m.ACRValues) == 0 {
			t.Fatal("acr_values_supported is missing")
		}
		r := e.web2RP()
		for _, acr := range m.ACRValues {
			a := newAuthRequest(param("acr_values", acr))
			var claims map[string]any
			switch acr {
			case idp.ACRPassword:
				_, claims = r.signInAs(e.browser(), "bob", bobPass, param("acr_values", acr))
			case idp.ACRMFA:
				_, claims = r.redeem(e.browser().passwordThenCode(r.authURL(a), "alice", alicePass, totpCode(t, time.Now(), 0)), a)
			default:
				t.Errorf("acr_values_supported advertises %q, which this test cannot exercise", acr)
				continue
			}
			if claims["acr"] != acr {
				t.Errorf("acr_values=%s: ID token acr %v", acr, claims["acr"])
			}
		}
	})
}
