package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/provider/authflow"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage/storagetest"
)

const (
	fuzzRedirect = "http://rp.localhost/callback"
	fuzzSecret   = "fuzz-client-secret-0123456789-abcdef"
)

// fuzzProvider is a provider on a fresh SQLite store with a confidential
// web client, a public client with two redirect URIs and a service.
func fuzzProvider(f *testing.F) *Provider {
	f.Helper()
	store := storagetest.SQLite(f)
	hash, err := clients.HashSecret(fuzzSecret)
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range []idp.Client{
		{ID: "web", Name: "Web", SecretHash: hash, RedirectURIs: []string{fuzzRedirect},
			GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "profile", "offline_access"}},
		{ID: "spa", Name: "SPA", RedirectURIs: []string{"http://127.0.0.1:9999/spa", "http://127.0.0.1:9999/spa?x=1"},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}},
		{ID: "svc", Name: "Service", SecretHash: hash, GrantTypes: []string{"client_credentials"},
			Scopes: []string{"api:read"}, Audience: []string{"https://api.example.com"}},
	} {
		clients.Normalize(&c)
		if err := store.Clients.Create(context.Background(), &c); err != nil {
			f.Fatal(err)
		}
	}
	p, err := New(context.Background(), Config{Issuer: "http://idp.localhost", Store: store, Secret: []byte("0123456789abcdef0123456789abcdef-fuzz")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = p.Close() })
	return p
}

// fuzzRequest builds a request from raw, possibly malformed, parts without
// the validation httptest.NewRequest applies: a fuzzer must reach the
// parser with anything a client can put on the wire.
func fuzzRequest(path, query, body string) *http.Request {
	r := &http.Request{
		Method: http.MethodGet, URL: &url.URL{Path: path, RawQuery: query},
		Header: http.Header{}, Host: "idp.localhost", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Body: http.NoBody,
	}
	if body != "" {
		r.Method = http.MethodPost
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	return r.WithContext(context.Background())
}

// FuzzAuthorizeRequest feeds arbitrary queries and bodies to the
// authorization request parser and checks what it accepts: exactly one
// value per parameter, a registered client, a redirect URI registered byte
// for byte, a code request with enough state, no request object, no
// prompt=none mixed with other values. A refusal may only be redirected to
// a registered redirect URI (no open redirect), and garbage is never a
// server error.
func FuzzAuthorizeRequest(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	valid := url.Values{
		"client_id": {"web"}, "redirect_uri": {fuzzRedirect}, "response_type": {"code"}, "scope": {"openid profile"},
		"state": {"state-12345678"}, "nonce": {"nonce-12345678"}, "code_challenge_method": {"S256"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
	}
	with := func(k string, vs ...string) string {
		q := url.Values{}
		for key, v := range valid {
			q[key] = v
		}
		if vs == nil {
			q.Del(k)
		} else {
			q[k] = vs
		}
		return q.Encode()
	}
	for _, q := range []string{
		valid.Encode(),
		with("state", "a", "b"),
		with("client_id", "web", "spa"),
		with("redirect_uri", fuzzRedirect, "http://evil.localhost/"),
		with("redirect_uri", fuzzRedirect+"/"),
		with("redirect_uri", "http://RP.localhost/callback"),
		with("redirect_uri", fuzzRedirect+"?x=1"),
		with("redirect_uri", "http://127.0.0.1:9999/spa"),
		with("prompt", "none login"),
		with("response_mode", "form_post"),
		with("response_mode", "jwt"),
		with("response_type", "token"),
		with("request", enc([]byte(`{"alg":"none"}`))+"."+enc([]byte(`{"state":"in-object-12345"}`))+"."),
		with("request_uri", "https://rp.example/request.jwt"),
		with("claims", `{"id_token":{"email":null,"roles":null},"userinfo":{"email":null}}`),
		with("state"),
		with("redirect_uri"),
		"client_id=spa&response_type=code&scope=openid&state=state-12345678&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fspa%3Fx%3D1",
		"%zz=1&client_id=web",
		"",
	} {
		f.Add(q, "")
	}
	f.Add("client_id=web", with("client_id"))
	f.Add("scope=openid", valid.Encode())
	p := fuzzProvider(f)
	registered := map[string][]string{"web": {fuzzRedirect}, "spa": {"http://127.0.0.1:9999/spa", "http://127.0.0.1:9999/spa?x=1"}}

	f.Fuzz(func(t *testing.T, query, body string) {
		r := fuzzRequest(pathAuthorize, query, body)
		ar, err := p.flow.NewAuthorizeRequest(r.Context(), r)
		if err != nil {
			if code := fosite.ErrorToRFC6749Error(err).CodeField; code >= 500 {
				t.Fatalf("server error %d for a client's input: %v", code, err)
			}
			if ar != nil && ar.IsRedirectURIValid() {
				uris := registered[ar.GetClient().GetID()]
				if !slices.Contains(uris, ar.GetRedirectURI().String()) {
					t.Fatalf("refusal would be redirected to unregistered %q", ar.GetRedirectURI())
				}
			}
			return
		}
		for k, vs := range r.Form {
			n := 0
			for _, v := range vs {
				if v != "" {
					n++
				}
			}
			if n > 1 {
				t.Fatalf("accepted %d values of %q", n, k)
			}
		}
		uris, ok := registered[ar.GetClient().GetID()]
		if !ok {
			t.Fatalf("accepted unregistered client %q", ar.GetClient().GetID())
		}
		if !slices.Contains(uris, ar.GetRedirectURI().String()) {
			t.Fatalf("accepted redirect URI %q, registered %v", ar.GetRedirectURI(), uris)
		}
		if got := r.Form.Get("redirect_uri"); got != "" && !slices.Contains(uris, got) {
			t.Fatalf("accepted redirect_uri %q, registered %v", got, uris)
		}
		if !ar.GetResponseTypes().ExactOne("code") || len(ar.GetState()) < fosite.MinParameterEntropy {
			t.Fatalf("accepted response_type %v, state %q", ar.GetResponseTypes(), ar.GetState())
		}
		if r.Form.Has("request") || r.Form.Has("request_uri") {
			t.Fatal("accepted a request object")
		}
		if prompt := authflow.Prompts(r.Form); slices.Contains(prompt, "none") && len(prompt) > 1 {
			t.Fatalf("accepted prompt %q", r.Form.Get("prompt"))
		}
	})
}

// FuzzTokenRequest feeds arbitrary forms and credentials to the token
// endpoint and checks its answers: never a server error (503 from the
// secret throttle aside), always a JSON
// object that is not cached, tokens only for a well-formed request of a
// supported grant, and the RFC 6749 §5.2 error shape otherwise.
func FuzzTokenRequest(f *testing.F) {
	for _, s := range []struct{ body, user, pass string }{
		{"grant_type=client_credentials", "svc", fuzzSecret},
		{"grant_type=client_credentials&scope=api%3Aread", "svc", fuzzSecret},
		{"grant_type=client_credentials&grant_type=client_credentials", "svc", fuzzSecret},
		{"grant_type=client_credentials&client_id=svc&client_secret=" + fuzzSecret, "", ""},
		{"grant_type=client_credentials", "svc", "wrong"},
		{"grant_type=client_credentials", "ghost", "x"},
		{"grant_type=authorization_code&code=ory_ac_abc.def&redirect_uri=" + url.QueryEscape(fuzzRedirect), "web", fuzzSecret},
		{"grant_type=authorization_code&code=ory_ac_abc.def&redirect_uri=" + url.QueryEscape(fuzzRedirect) + "&code_verifier=wrong", "web", fuzzSecret},
		{"grant_type=authorization_code&code=x&code=y", "web", fuzzSecret},
		{"grant_type=refresh_token&refresh_token=ory_rt_abc.def", "web", fuzzSecret},
		{"grant_type=password&username=alice&password=x", "web", fuzzSecret},
		{"grant_type=authorization_code&client_id=spa&code=ory_ac_x.y&code_verifier=" + strings.Repeat("a", 43), "", ""},
		{"%zz", "", ""},
		{"", "", ""},
	} {
		f.Add(s.body, s.user, s.pass)
	}
	p := fuzzProvider(f)

	f.Fuzz(func(t *testing.T, body, user, pass string) {
		r := fuzzRequest(pathToken, "", body)
		r.Method = http.MethodPost
		if user != "" {
			r.SetBasicAuth(user, pass)
		}
		w := httptest.NewRecorder()
		p.handleToken(w, r)
		// 503 temporarily_unavailable with Retry-After is the throttle's
		// answer once the fuzzer has sent enough wrong secrets for one
		// client; any other 5xx is a server error.
		busy := w.Code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") != "" &&
			strings.Contains(w.Body.String(), `"temporarily_unavailable"`)
		if w.Code >= 500 && !busy {
			t.Fatalf("status %d for a client's input: %s", w.Code, w.Body)
		}
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("Content-Type %q, Cache-Control %q", w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
		}
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("not a JSON object: %q", w.Body)
		}
		if w.Code != http.StatusOK {
			if s, _ := out["error"].(string); s == "" || out["access_token"] != nil {
				t.Fatalf("status %d without an error code, or with a token: %v", w.Code, out)
			}
			return
		}
		form, err := url.ParseQuery(body)
		if err != nil || web.Repeated(form) != "" || !slices.Contains(idp.SupportedGrants(), form.Get("grant_type")) {
			t.Fatalf("tokens for a malformed request %q", body)
		}
		if out["access_token"] == nil || !strings.EqualFold(out["token_type"].(string), "bearer") {
			t.Fatalf("200 without a bearer access token: %v", out)
		}
	})
}
