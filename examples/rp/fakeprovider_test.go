package main

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idp/idp/internal/idptest"
)

// fakeProvider is just enough of an OpenID provider to drive the app:
// discovery, JWKS, an /authorize that signs alice in at once, a token
// endpoint with PKCE and rotating refresh tokens, userinfo and
// end_session. It records what the app sent so tests can check it.
type fakeProvider struct {
	t   testing.TB
	URL string
	key *rsa.PrivateKey
	kid string

	mu sync.Mutex
	// tamper, when set, edits the authorization response before the
	// browser is sent back.
	tamper func(q url.Values)
	// tamperID, when set, edits the claims of the next ID tokens.
	tamperID func(c map[string]any)
	nextSID  int
	codes    map[string]authRequest
	refresh  map[string]authRequest // live refresh tokens
	access   map[string]string      // access token → sub
	ended    url.Values             // last end_session request
	authReqs []url.Values
}

type authRequest struct {
	params url.Values
	sid    string
}

const (
	fakeClientID     = "app-a"
	fakeClientSecret = "app-a-secret"
	fakeSubject      = "member-alice"
)

func newFakeProvider(t testing.TB) *fakeProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeProvider{t: t, key: key, kid: "k1", codes: map[string]authRequest{},
		refresh: map[string]authRequest{}, access: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("GET /.well-known/jwks.json", f.jwks)
	mux.HandleFunc("GET /oauth2/auth", f.authorize)
	mux.HandleFunc("POST /oauth2/token", f.token)
	mux.HandleFunc("GET /userinfo", f.userinfo)
	mux.HandleFunc("GET /oauth2/sessions/logout", f.endSession)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeProvider) discovery(w http.ResponseWriter, r *http.Request) {
	idptest.WriteJSON(f.t, w, 200, map[string]any{
		"issuer":                                f.URL,
		"authorization_endpoint":                f.URL + "/oauth2/auth",
		"token_endpoint":                        f.URL + "/oauth2/token",
		"userinfo_endpoint":                     f.URL + "/userinfo",
		"jwks_uri":                              f.URL + "/.well-known/jwks.json",
		"end_session_endpoint":                  f.URL + "/oauth2/sessions/logout",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"authorization_response_iss_parameter_supported": true,
	})
}

func (f *fakeProvider) jwks(w http.ResponseWriter, r *http.Request) {
	idptest.WriteJSON(f.t, w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &f.key.PublicKey, KeyID: f.kid, Algorithm: "RS256", Use: "sig"},
	}})
}

// authorize signs alice in with a new provider session and redirects back
// with a code, state and iss (RFC 9207).
func (f *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.authReqs = append(f.authReqs, q)
	f.nextSID++
	code := randomString()
	f.codes[code] = authRequest{params: q, sid: fmt.Sprintf("sid-%d", f.nextSID)}
	tamper := f.tamper
	f.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {f.URL}}
	if tamper != nil {
		tamper(back)
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

func (f *fakeProvider) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != fakeClientID || secret != fakeClientSecret {
		idptest.WriteJSON(f.t, w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var req authRequest
	switch r.PostFormValue("grant_type") {
	case "authorization_code":
		req, ok = f.codes[r.PostFormValue("code")]
		delete(f.codes, r.PostFormValue("code"))
		if !ok || req.params.Get("code_challenge_method") != "S256" ||
			idptest.S256(r.PostFormValue("code_verifier")) != req.params.Get("code_challenge") ||
			r.PostFormValue("redirect_uri") != req.params.Get("redirect_uri") {
			idptest.WriteJSON(f.t, w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
	case "refresh_token":
		req, ok = f.refresh[r.PostFormValue("refresh_token")]
		delete(f.refresh, r.PostFormValue("refresh_token")) // rotation: each is single-use
		if !ok {
			idptest.WriteJSON(f.t, w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		req.params = url.Values{} // a refreshed ID token carries no nonce
	default:
		idptest.WriteJSON(f.t, w, 400, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	at, rt := randomString(), randomString()
	f.access[at] = fakeSubject
	f.refresh[rt] = authRequest{sid: req.sid}
	claims := f.baseClaims()
	claims["sid"] = req.sid
	if n := req.params.Get("nonce"); n != "" {
		claims["nonce"] = n
	}
	if f.tamperID != nil {
		f.tamperID(claims)
	}
	idptest.WriteJSON(f.t, w, 200, map[string]any{
		"access_token": at, "token_type": "bearer", "expires_in": 3600, "refresh_token": rt,
		"id_token": f.sign("JWT", claims),
	})
}

func (f *fakeProvider) baseClaims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": f.URL, "sub": fakeSubject, "aud": []string{fakeClientID},
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "auth_time": now.Unix(),
		"name": "Alice Example", "email": "alice@example.com",
	}
}

func (f *fakeProvider) userinfo(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	sub, ok := f.access[r.Header.Get("Authorization")[len("Bearer "):]]
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(401)
		return
	}
	idptest.WriteJSON(f.t, w, 200, map[string]any{"sub": sub, "name": "Alice Example", "email": "alice@example.com",
		"email_verified": true, "roles": []string{"admin"}})
}

func (f *fakeProvider) endSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.ended = q
	f.mu.Unlock()
	http.Redirect(w, r, q.Get("post_logout_redirect_uri")+"?"+url.Values{"state": {q.Get("state")}}.Encode(), http.StatusFound)
}

// sign signs claims with the provider's key (or another) under typ.
func (f *fakeProvider) sign(typ string, claims map[string]any) string {
	return idptest.SignJWT(f.t, f.key, f.kid, typ, claims)
}

// logoutClaims returns valid logout token claims for sid.
func (f *fakeProvider) logoutClaims(sid string) map[string]any {
	return map[string]any{
		"iss": f.URL, "sub": fakeSubject, "aud": []string{fakeClientID}, "sid": sid,
		"iat": time.Now().Unix(), "exp": time.Now().Add(2 * time.Minute).Unix(), "jti": randomString(),
		"events": map[string]any{backchannelLogoutEvent: map[string]any{}},
	}
}
