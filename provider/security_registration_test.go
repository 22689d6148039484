package provider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/provider/registration"
	"github.com/idp/idp/storage"
)

// regEnv is an env with dynamic client registration in mode.
func regEnv(t *testing.T, store *storage.Store, mode registration.Mode) *env {
	return newEnv(t, store, func(c *provider.Config) { c.Registration = registration.Config{Mode: mode} })
}

// regCall sends a JSON request to the registration or a configuration
// endpoint, with token as bearer when set, and decodes the JSON answer.
func (e *env) regCall(method, uri, token string, body any) (*http.Response, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			b = must(json.Marshal(body))
		}
		rd = bytes.NewReader(b)
	}
	req := must(http.NewRequest(method, uri, rd))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp := must(testClient.Do(req))
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

// register posts client metadata to the registration endpoint.
func (e *env) register(token string, body any) (*http.Response, map[string]any) {
	e.t.Helper()
	return e.regCall(http.MethodPost, e.issuer+registration.Path, token, body)
}

// mustRegister registers a client and fails unless it is created.
func (e *env) mustRegister(token string, body any) map[string]any {
	e.t.Helper()
	resp, out := e.register(token, body)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	return out
}

// initialToken creates an initial access token as idp registration-token
// create does, issued at the given time.
func (e *env) initialToken(issued time.Time, ttl time.Duration) string {
	e.t.Helper()
	tok, _, err := registration.CreateInitialToken(context.Background(), e.store, issued, ttl)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// clientIDs lists the stored clients' ids.
func (e *env) clientIDs() []string {
	e.t.Helper()
	list := must(e.store.Clients.List(context.Background()))
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids
}

// wantRegError checks a refused request's status and error, that the
// description names every word of want, and that no client was added.
func (e *env) wantRegError(resp *http.Response, out map[string]any, status int, code string, before []string, want ...string) {
	e.t.Helper()
	if resp.StatusCode != status || out["error"] != code {
		e.t.Fatalf("answer %d %v; want %d %s", resp.StatusCode, out, status, code)
	}
	desc, _ := out["error_description"].(string)
	for _, w := range want {
		if !strings.Contains(desc, w) {
			e.t.Errorf("error_description %q does not name %q", desc, w)
		}
	}
	if after := e.clientIDs(); len(after) != len(before) {
		e.t.Errorf("clients %v after a refused registration, were %v", after, before)
	}
}

var dynClient = map[string]any{
	"client_name": "Dynamic App", "redirect_uris": []string{"https://dyn.example/cb"},
	"grant_types": []string{"authorization_code", "refresh_token"}, "scope": "openid profile",
}

// TestSecurityRegistrationNeedsInitialToken checks the rule "in token mode
// only a valid, unexpired, unused initial access token registers a
// client, and only one": 401 with a Bearer challenge otherwise, nothing
// stored.
func TestSecurityRegistrationNeedsInitialToken(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := regEnv(t, open(t), registration.Token)
		before := e.clientIDs()
		expired := e.initialToken(time.Now().Add(-2*time.Hour), time.Hour)
		for name, token := range map[string]string{"none": "", "wrong": "not-a-token", "expired": expired} {
			resp, out := e.register(token, dynClient)
			e.wantRegError(resp, out, http.StatusUnauthorized, "invalid_token", before)
			if ch := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") ||
				(token != "" && !strings.Contains(ch, `error="invalid_token"`)) {
				t.Errorf("%s token: WWW-Authenticate %q", name, ch)
			}
		}
		// A token without a Bearer scheme is no token.
		req := must(http.NewRequest(http.MethodPost, e.issuer+registration.Path, strings.NewReader(`{}`)))
		req.Header.Set("Authorization", "Basic "+expired)
		if resp := must(testClient.Do(req)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Basic credentials: %d, want 401", resp.StatusCode)
		}

		token := e.initialToken(time.Now(), time.Hour)
		// Bad metadata is refused and leaves the token usable.
		resp, out := e.register(token, map[string]any{"redirect_uris": []string{"http://dyn.example/cb"}})
		e.wantRegError(resp, out, http.StatusBadRequest, "invalid_redirect_uri", before, "redirect_uris[0]")
		e.mustRegister(token, dynClient)
		// Single use: the same token registers nothing more.
		before = e.clientIDs()
		resp, out = e.register(token, dynClient)
		e.wantRegError(resp, out, http.StatusUnauthorized, "invalid_token", before)
	})
}

// TestSecurityRegistrationScopes checks the rule "a self-registered
// client gets only scopes of the allow-list, never idp:admin": the
// request is refused naming the scope, and an allow-list naming idp:admin
// refuses to start.
func TestSecurityRegistrationScopes(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		store := open(t)
		e := regEnv(t, store, registration.Open)
		before := e.clientIDs()
		for _, scope := range []string{"openid idp:admin", "openid roles", "openid\tprofile"} {
			resp, out := e.register("", map[string]any{"redirect_uris": []string{"https://dyn.example/cb"}, "scope": scope})
			e.wantRegError(resp, out, http.StatusBadRequest, "invalid_client_metadata", before, "scope: ", "not")
		}
		// Without a scope the client gets the allow-list, not every
		// scope the provider serves.
		out := e.mustRegister("", map[string]any{"redirect_uris": []string{"https://dyn.example/cb"}})
		if out["scope"] != "openid profile email offline_access" {
			t.Errorf("default scope %q, want the allow-list", out["scope"])
		}

		cfg := e.cfg
		cfg.Registration = registration.Config{Mode: registration.Open, Scopes: []string{"openid", idp.ScopeAdmin}}
		if _, err := provider.New(context.Background(), cfg); err == nil ||
			!strings.Contains(err.Error(), "registration scopes[1]") {
			t.Errorf("provider.New with idp:admin allowed: %v; want it refused naming the setting", err)
		}
	})
}

// TestSecurityRegistrationRedirectURIs checks the rule "self-registered
// redirect URIs follow the same rules as every client's": https except
// loopback, no fragment, no other scheme, each named in the answer.
func TestSecurityRegistrationRedirectURIs(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := regEnv(t, open(t), registration.Open)
		before := e.clientIDs()
		for _, uri := range []string{"http://dyn.example/cb", "https://dyn.example/cb#frag", "javascript:alert(1)",
			"https://dyn.example/a,https://evil.example/b", "/relative"} {
			resp, out := e.register("", map[string]any{"redirect_uris": []string{"https://dyn.example/ok", uri}})
			e.wantRegError(resp, out, http.StatusBadRequest, "invalid_redirect_uri", before, "redirect_uris[1]")
		}
		for body, field := range map[string]string{
			`{"redirect_uris":"https://dyn.example/cb"}`:                                                    "redirect_uris: must be a JSON array",
			`{"redirect_uris":["https://dyn.example/cb"],"grant_types":["implicit"]}`:                       "grant_types[0]",
			`{"redirect_uris":["https://dyn.example/cb"],"response_types":["token"]}`:                       "response_types[0]",
			`{"redirect_uris":["https://dyn.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`:   "token_endpoint_auth_method",
			`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}`:                    "grant_types",
			`{"redirect_uris":["https://dyn.example/cb"],"backchannel_logout_uri":"http://dyn.example/bc"}`: "backchannel_logout_uri",
			`{"redirect_uris":["https://dyn.example/cb"],"client_name":"` + strings.Repeat("n", 101) + `"}`: "client_name",
			`not json`: "not a JSON object",
		} {
			resp, out := e.register("", []byte(body))
			e.wantRegError(resp, out, http.StatusBadRequest, "invalid_client_metadata", before, field)
		}
	})
}

// TestSecurityRegistrationOperatorPrivileges checks the rule "metadata a
// registering client sends cannot grant what only the operator grants":
// skip_consent, audience and introspection are unknown fields to the
// endpoint, ignored and not stored.
func TestSecurityRegistrationOperatorPrivileges(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := regEnv(t, open(t), registration.Open)
		out := e.mustRegister("", map[string]any{
			"redirect_uris": []string{"https://dyn.example/cb"}, "skip_consent": true, "allow_plain_oauth": true,
			"audience": []string{"https://api.example.com"}, "introspection": "all", "software_statement": "x",
		})
		c := must(e.store.Clients.ByID(context.Background(), out["client_id"].(string)))
		if c.SkipConsent || c.AllowPlainOAuth || len(c.Audience) > 0 || c.Introspection != "" {
			t.Fatalf("self-registered client got operator privileges: %+v", c)
		}
	})
}

// TestSecurityRegistrationBodyBounded checks the rule "a registration
// request's body is bounded": declared or streamed, a body over 16 KiB is
// refused with 413 and nothing is stored.
func TestSecurityRegistrationBodyBounded(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := regEnv(t, open(t), registration.Open)
		before := e.clientIDs()
		big := []byte(`{"redirect_uris":["https://dyn.example/cb"],"padding":"` + strings.Repeat("a", 20<<10) + `"}`)
		resp, out := e.register("", big)
		e.wantRegError(resp, out, http.StatusRequestEntityTooLarge, "invalid_client_metadata", before, "16 KiB")

		// Chunked: no Content-Length to refuse up front.
		req := must(http.NewRequest(http.MethodPost, e.issuer+registration.Path, io.MultiReader(bytes.NewReader(big))))
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = -1
		resp = must(testClient.Do(req))
		defer resp.Body.Close()
		out = nil
		_ = json.NewDecoder(resp.Body).Decode(&out)
		e.wantRegError(resp, out, http.StatusRequestEntityTooLarge, "invalid_client_metadata", before, "16 KiB")
	})
}

// TestSecurityRegistrationAccessTokenIsPerClient checks the rule "a
// registration access token manages its own client only, and clients the
// operator registered cannot be managed this way": another client's token
// reads, changes and deletes nothing.
func TestSecurityRegistrationAccessTokenIsPerClient(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := regEnv(t, open(t), registration.Open)
		a := e.mustRegister("", dynClient)
		b := e.mustRegister("", dynClient)
		aToken, bURI := a["registration_access_token"].(string), b["registration_client_uri"].(string)
		bID := b["client_id"].(string)
		update := map[string]any{"client_id": bID, "redirect_uris": []string{"https://evil.example/cb"}}
		for _, call := range []struct {
			method, uri string
			body        any
		}{
			{http.MethodGet, bURI, nil}, {http.MethodPut, bURI, update}, {http.MethodDelete, bURI, nil},
			{http.MethodGet, e.issuer + registration.Path + "/web", nil},
			{http.MethodDelete, e.issuer + registration.Path + "/web", nil},
		} {
			for _, token := range []string{aToken, ""} {
				resp, out := e.regCall(call.method, call.uri, token, call.body)
				if resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_token" ||
					!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s with token %t: %d %v; want 401 invalid_token", call.method, call.uri, token != "", resp.StatusCode, out)
				}
			}
		}
		c := must(e.store.Clients.ByID(context.Background(), bID))
		if c.RedirectURIs[0] != "https://dyn.example/cb" {
			t.Errorf("B changed with A's token: %v", c.RedirectURIs)
		}
		must(e.store.Clients.ByID(context.Background(), "web"))
		// A's token still works for A: the refusals were about B.
		if resp, _ := e.regCall(http.MethodGet, a["registration_client_uri"].(string), aToken, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("A reading itself: %d", resp.StatusCode)
		}
	})
}

// TestSecurityDiscoveryRegistrationEndpoint: with registration off (the default) there is no
// endpoint, and discovery advertises none; with it on, discovery's
// registration_endpoint is the one that registers.
func TestSecurityDiscoveryRegistrationEndpoint(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		off := newEnv(t, open(t))
		var raw map[string]any
		resp := must(testClient.Get(off.issuer + "/.well-known/openid-configuration"))
		_ = json.NewDecoder(resp.Body).Decode(&raw)
		resp.Body.Close()
		if _, ok := raw["registration_endpoint"]; ok || raw["issuer"] != off.issuer {
			t.Errorf("discovery with registration off: %v", raw)
		}
		r, _ := off.register("", dynClient)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s with registration off: %d, want 404", registration.Path, r.StatusCode)
		}

		on := regEnv(t, open(t), registration.Open)
		resp = must(testClient.Get(on.issuer + "/.well-known/openid-configuration"))
		raw = nil
		_ = json.NewDecoder(resp.Body).Decode(&raw)
		resp.Body.Close()
		ep, _ := raw["registration_endpoint"].(string)
		if ep != on.issuer+registration.Path {
			t.Fatalf("registration_endpoint %q", ep)
		}
		r, out := on.regCall(http.MethodPost, ep, "", dynClient)
		if r.StatusCode != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("register at the advertised endpoint: %d %v", r.StatusCode, out)
		}
	})
}

// TestSecurityOpenRegistrationIsThrottled checks the rule "open
// registration adds at most 20 clients per address an hour": the next
// attempt gets 429 with Retry-After and stores nothing.
func TestSecurityOpenRegistrationIsThrottled(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := regEnv(t, open(t), registration.Open)
		public := map[string]any{"redirect_uris": []string{"https://dyn.example/cb"}, "token_endpoint_auth_method": "none"}
		for range 20 {
			e.mustRegister("", public)
		}
		before := e.clientIDs()
		resp, out := e.register("", public)
		e.wantRegError(resp, out, http.StatusTooManyRequests, "too_many_requests", before)
		if s := resp.Header.Get("Retry-After"); s == "" || s == "0" {
			t.Errorf("Retry-After %q", s)
		}
	})
}
