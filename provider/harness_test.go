package provider_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// eachStore runs fn once per backend: SQLite always, PostgreSQL when
// reachable (storagetest skips or fails as configured).
func eachStore(t *testing.T, fn func(t *testing.T, open func(testing.TB) *storage.Store)) {
	t.Helper()
	idptest.EachStore(t, fn)
}

// env is a running provider on a loopback port with seeded members and
// clients.
type env struct {
	t      testing.TB
	store  *storage.Store
	secret []byte
	issuer string
	srv    *httptest.Server
	prov   *provider.Provider
	cfg    provider.Config
}

const (
	webSecret   = "web-client-secret-0123456789"
	svcSecret   = "svc-client-secret-0123456789"
	webRedirect = "http://rp.localhost/callback"
	aliceEmail  = "alice@example.com"
	alicePass   = "alice-password-1"
	bobPass     = "bob-password-12"
)

func newEnv(t testing.TB, store *storage.Store, tweak ...func(*provider.Config)) *env {
	t.Helper()
	e := &env{t: t, store: store, secret: []byte("0123456789abcdef0123456789abcdef-test")}
	e.srv, e.issuer = idptest.Listen(t)
	e.cfg = provider.Config{Issuer: e.issuer, Store: store, Secret: e.secret, Logger: testLogger(t)}
	for _, f := range tweak {
		f(&e.cfg)
	}
	e.start()
	e.seed()
	return e
}

// start creates the provider on the env's store and serves it.
func (e *env) start() {
	e.t.Helper()
	p, err := provider.New(context.Background(), e.cfg)
	if err != nil {
		e.t.Fatalf("provider.New: %v", err)
	}
	e.prov = p
	e.t.Cleanup(func() { _ = p.Close() }) // after the server stops
	idptest.Start(e.t, e.srv, p)
}

func testLogger(t testing.TB) *slog.Logger { return idptest.Logger(t) }

func (e *env) seed() {
	e.t.Helper()
	e.addMember(aliceEmail, "alice", "Alice Example", alicePass, idp.RoleAdmin)
	e.addMember("bob@example.com", "bob", "Bob Example", bobPass, idp.RoleMember)
	e.addClient(idp.Client{
		ID: "web", Name: "Web App", RedirectURIs: []string{webRedirect},
		PostLogoutRedirectURIs: []string{"http://rp.localhost/"},
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		Scopes:                 []string{"openid", "profile", "email", "roles", "offline_access"},
	}, webSecret)
	e.addClient(idp.Client{
		ID: "web2", Name: "Second App", RedirectURIs: []string{"http://rp2.localhost/callback"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, SkipConsent: true,
		Scopes: []string{"openid", "profile", "email", "offline_access"},
	}, webSecret)
	e.addClient(idp.Client{
		ID: "spa", Name: "Single Page App", RedirectURIs: []string{"http://127.0.0.1:9999/spa"},
		GrantTypes: []string{"authorization_code", "refresh_token"},
		Scopes:     []string{"openid", "profile", "offline_access"},
	}, "")
	e.addClient(idp.Client{
		ID: "svc", Name: "Service", GrantTypes: []string{"client_credentials"},
		Scopes: []string{"api:read", "api:write"}, Audience: []string{"https://api.example.com"},
	}, svcSecret)
}

func (e *env) addMember(email, username, name, pw string, role idp.Role) idp.Member {
	e.t.Helper()
	return idptest.AddMember(e.t, e.store, idp.Member{Email: email, Username: username, Name: name, Role: role}, pw)
}

func (e *env) addClient(c idp.Client, secret string) {
	e.t.Helper()
	idptest.AddClient(e.t, e.store, c, secret)
}

// rp is a relying party built from go-oidc and x/oauth2, as a real app
// would use them.
type rp struct {
	e        *env
	oauth    oauth2.Config
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

func (e *env) rp(clientID, secret, redirect string, scopes ...string) *rp {
	e.t.Helper()
	prov, err := oidc.NewProvider(context.Background(), e.issuer)
	if err != nil {
		e.t.Fatalf("discovery: %v", err)
	}
	ep := prov.Endpoint()
	if secret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return &rp{
		e: e, provider: prov,
		oauth:    oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirect, Endpoint: ep, Scopes: scopes},
		verifier: prov.Verifier(&oidc.Config{ClientID: clientID}),
	}
}

func (e *env) webRP(scopes ...string) *rp {
	if len(scopes) == 0 {
		scopes = []string{"openid", "profile", "email", "roles", "offline_access"}
	}
	return e.rp("web", webSecret, webRedirect, scopes...)
}

// authRequest is one authorization request with its secrets.
type authRequest struct {
	state, nonce, verifier string
	opts                   []oauth2.AuthCodeOption
}

func newAuthRequest(opts ...oauth2.AuthCodeOption) *authRequest {
	verifier, _ := idptest.PKCE()
	return &authRequest{state: randomString(), nonce: randomString(), verifier: verifier, opts: opts}
}

func (r *rp) authURL(a *authRequest) string {
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier)}, a.opts...)
	return r.oauth.AuthCodeURL(a.state, opts...)
}

func (r *rp) exchange(code string, a *authRequest) (*oauth2.Token, error) {
	return r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
}

// idToken verifies the ID token of a token response through the JWKS.
func (r *rp) idToken(tok *oauth2.Token, nonce string) (*oidc.IDToken, map[string]any) {
	r.e.t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		r.e.t.Fatalf("token response has no id_token")
	}
	idt, err := r.verifier.Verify(context.Background(), raw)
	if err != nil {
		r.e.t.Fatalf("verify id token: %v", err)
	}
	if idt.Nonce != nonce {
		r.e.t.Fatalf("nonce = %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		r.e.t.Fatalf("at_hash: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		r.e.t.Fatal(err)
	}
	return idt, claims
}

func randomString() string { return idptest.RandomString() }

var testClient = idptest.HTTP

// browser is a cookie-keeping HTTP client that follows redirects within
// the provider and stops at the first one leaving it, like a browser
// handing the response to the app. client is shared's client.
type browser struct {
	t      testing.TB
	e      *env
	client *http.Client
	shared *idptest.Browser
}

func (e *env) browser() *browser {
	b := idptest.NewBrowser(e.t, e.issuer)
	return &browser{t: e.t, e: e, client: b.Client, shared: b}
}

// page is a fetched response with its body read.
type page struct {
	resp *http.Response
	body string
	doc  *html.Node
}

func pageOf(p *idptest.Page) *page { return &page{resp: p.Resp, body: p.Body, doc: p.Doc} }

func (pg *page) shared() *idptest.Page {
	return &idptest.Page{Resp: pg.resp, Body: pg.body, Doc: pg.doc}
}

func (b *browser) do(req *http.Request) *page { b.t.Helper(); return pageOf(b.shared.Do(req)) }
func (b *browser) get(u string) *page         { b.t.Helper(); return pageOf(b.shared.Get(u)) }

// submit posts the page's form with its hidden inputs, the given fields
// and, if button is not empty, the submit button named so with that value.
func (b *browser) submit(pg *page, fields url.Values, buttonName, buttonValue string) *page {
	b.t.Helper()
	return pageOf(b.shared.Submit(pg.shared(), fields, buttonName, buttonValue))
}

type input struct{ name, typ, value string }

func findForm(n *html.Node) *html.Node { return idptest.FindForm(n) }

func formInputs(n *html.Node) []input {
	var out []input
	for _, in := range idptest.FormInputs(n) {
		out = append(out, input{name: in.Name, typ: in.Type, value: in.Value})
	}
	return out
}

func attr(n *html.Node, key string) string { return idptest.Attr(n, key) }

// redirect returns the Location a final response sends the browser to.
func (pg *page) redirect(t testing.TB) *url.URL { t.Helper(); return pg.shared().Redirect(t) }

func (pg *page) isLogin() bool   { return pg.shared().IsLogin() }
func (pg *page) isConsent() bool { return pg.shared().IsConsent() }

// signIn drives an authorization request through the login page (and the
// consent page, allowing, when shown) and returns the callback URL.
func (b *browser) signIn(authURL, user, pass string) *url.URL {
	b.t.Helper()
	return b.shared.SignIn(authURL, user, pass)
}

// code checks the callback's state and RFC 9207 iss, and returns the code.
func (e *env) code(cb *url.URL, a *authRequest) string {
	e.t.Helper()
	return idptest.Code(e.t, cb, a.state, e.issuer)
}

// signedIn runs the whole code flow for alice with the web client.
func (e *env) signedIn(r *rp, b *browser) (*oauth2.Token, *authRequest) {
	e.t.Helper()
	a := newAuthRequest()
	cb := b.signIn(r.authURL(a), "alice", alicePass)
	tok, err := r.exchange(e.code(cb, a), a)
	if err != nil {
		e.t.Fatalf("exchange: %v", err)
	}
	return tok, a
}

// postForm sends a form to a provider endpoint, with basic auth when user
// is set, and decodes the JSON answer.
func (e *env) postForm(path string, form url.Values, user, pass string) (*http.Response, map[string]any) {
	e.t.Helper()
	resp, body := e.post(path, form, user, pass)
	return resp, idptest.JSONObject(e.t, "POST "+path, resp.StatusCode, body)
}

// post sends a form to a provider endpoint, with basic auth when user is
// set, and returns the answer with its body read.
func (e *env) post(path string, form url.Values, user, pass string) (*http.Response, []byte) {
	e.t.Helper()
	return idptest.PostForm(e.t, e.issuer+path, form, user, pass)
}

// introspect reports whether a token is active, asked by the web client.
func (e *env) introspect(token string) map[string]any {
	e.t.Helper()
	resp, out := e.postForm("/oauth2/introspect", url.Values{"token": {token}}, "web", webSecret)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("introspect: status %d: %v", resp.StatusCode, out)
	}
	return out
}

// jwtParts decodes a JWT's header and claims without verifying.
func jwtParts(t testing.TB, token string) (header, claims map[string]any) {
	t.Helper()
	return idptest.JWTParts(t, token)
}

func s256(verifier string) string { return idptest.S256(verifier) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("must: %v", err))
	}
	return v
}
