package provider_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// eachStore runs fn once per backend: SQLite always, PostgreSQL when
// reachable (storagetest skips or fails as configured).
func eachStore(t *testing.T, fn func(t *testing.T, open func(testing.TB) *storage.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storagetest.SQLite) })
	t.Run("postgres", func(t *testing.T) { fn(t, storagetest.Postgres) })
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
	e.srv = httptest.NewUnstartedServer(nil)
	e.issuer = "http://" + e.srv.Listener.Addr().String()
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
	e.srv.Config.Handler = p
	e.srv.Start()
	e.t.Cleanup(func() { e.srv.Close(); _ = p.Close() })
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("IDP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

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

// hashes caches argon2id hashes by input: every env seeds the same
// members and clients, and the KDF would otherwise dominate the suite.
var hashes sync.Map

func cachedHash(t testing.TB, plain string, hash func(string) (string, error)) string {
	t.Helper()
	if h, ok := hashes.Load(plain); ok {
		return h.(string)
	}
	h, err := hash(plain)
	if err != nil {
		t.Fatal(err)
	}
	hashes.Store(plain, h)
	return h
}

func (e *env) addMember(email, username, name, pw string, role idp.Role) idp.Member {
	e.t.Helper()
	h := cachedHash(e.t, pw, password.Hash)
	m := idp.Member{Email: email, Username: username, Name: name, PasswordHash: h, Role: role}
	if err := e.store.Members.Create(context.Background(), &m); err != nil {
		e.t.Fatalf("add member: %v", err)
	}
	return m
}

func (e *env) addClient(c idp.Client, secret string) {
	e.t.Helper()
	if secret != "" {
		c.SecretHash = cachedHash(e.t, secret, clients.HashSecret)
	}
	clients.Normalize(&c)
	if err := clients.Validate(c); err != nil {
		e.t.Fatalf("client %s: %v", c.ID, err)
	}
	if err := e.store.Clients.Create(context.Background(), &c); err != nil {
		e.t.Fatalf("add client: %v", err)
	}
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
	return &authRequest{state: randomString(), nonce: randomString(), verifier: oauth2.GenerateVerifier(), opts: opts}
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

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// requestTimeout turns a hung request into a failure naming it, rather
// than a stuck test binary.
const requestTimeout = 30 * time.Second

var testClient = &http.Client{Timeout: requestTimeout}

// browser is a cookie-keeping HTTP client that follows redirects within
// the provider and stops at the first one leaving it, like a browser
// handing the response to the app.
type browser struct {
	t      testing.TB
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(e.issuer, "http://")
	return &browser{t: e.t, e: e, client: &http.Client{Jar: jar, Timeout: requestTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

// page is a fetched response with its body read.
type page struct {
	resp *http.Response
	body string
	doc  *html.Node
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	pg := &page{resp: resp, body: string(body)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		pg.doc, _ = html.Parse(strings.NewReader(pg.body))
	}
	return pg
}

func (b *browser) get(u string) *page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

// submit posts the page's form with its hidden inputs, the given fields
// and, if button is not empty, the submit button named so with that value.
func (b *browser) submit(pg *page, fields url.Values, buttonName, buttonValue string) *page {
	b.t.Helper()
	form := findForm(pg.doc)
	if form == nil {
		b.t.Fatalf("no form on page (status %d): %s", pg.resp.StatusCode, pg.body)
	}
	vals := url.Values{}
	for _, in := range formInputs(form) {
		if in.typ == "hidden" {
			vals.Set(in.name, in.value)
		}
	}
	for k, v := range fields {
		vals[k] = v
	}
	if buttonName != "" {
		vals.Set(buttonName, buttonValue)
	}
	action, _ := pg.resp.Request.URL.Parse(attr(form, "action"))
	req, _ := http.NewRequest(strings.ToUpper(attr(form, "method")), action.String(), strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

type input struct{ name, typ, value string }

func findForm(n *html.Node) *html.Node {
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode && n.Data == "form" {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findForm(c); f != nil {
			return f
		}
	}
	return nil
}

func formInputs(n *html.Node) []input {
	var out []input
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "input" || n.Data == "button") {
			out = append(out, input{name: attr(n, "name"), typ: attr(n, "type"), value: attr(n, "value")})
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// redirect returns the Location a final response sends the browser to.
func (pg *page) redirect(t testing.TB) *url.URL {
	t.Helper()
	if pg.resp.StatusCode < 300 || pg.resp.StatusCode > 399 {
		t.Fatalf("want a redirect to the client, got status %d: %s", pg.resp.StatusCode, pg.body)
	}
	u, err := url.Parse(pg.resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (pg *page) isLogin() bool   { return pg.doc != nil && strings.Contains(pg.body, `name="password"`) }
func (pg *page) isConsent() bool { return pg.doc != nil && strings.Contains(pg.body, `name="consent"`) }

// signIn drives an authorization request through the login page (and the
// consent page, allowing, when shown) and returns the callback URL.
func (b *browser) signIn(authURL, user, pass string) *url.URL {
	b.t.Helper()
	pg := b.get(authURL)
	if pg.isLogin() {
		pg = b.submit(pg, url.Values{"username": {user}, "password": {pass}}, "", "")
	}
	if pg.isConsent() {
		pg = b.submit(pg, nil, "consent", "allow")
	}
	return pg.redirect(b.t)
}

// code checks the callback's state and RFC 9207 iss, and returns the code.
func (e *env) code(cb *url.URL, a *authRequest) string {
	e.t.Helper()
	q := cb.Query()
	if q.Get("error") != "" {
		e.t.Fatalf("authorization error: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != a.state {
		e.t.Fatalf("state = %q, want %q", q.Get("state"), a.state)
	}
	if q.Get("iss") != e.issuer {
		e.t.Fatalf("iss = %q, want %q", q.Get("iss"), e.issuer)
	}
	if q.Get("code") == "" {
		e.t.Fatalf("no code in %s", cb)
	}
	return q.Get("code")
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
	var out map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &out); err != nil {
			e.t.Fatalf("POST %s: status %d, not JSON: %s", path, resp.StatusCode, body)
		}
	}
	return resp, out
}

// post sends a form to a provider endpoint, with basic auth when user is
// set, and returns the answer with its body read.
func (e *env) post(path string, form url.Values, user, pass string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := testClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
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
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("must: %v", err))
	}
	return v
}
