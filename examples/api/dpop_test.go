package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idp/idp/dpop"
	"github.com/idp/idp/dpop/dpoptest"
	"github.com/idp/idp/internal/idptest"
)

// TestHelloDPoP: a DPoP-bound token passes only under the DPoP scheme
// with a fresh proof of its key over this request and this token; every
// other presentation gets 401 with a DPoP challenge.
func TestHelloDPoP(t *testing.T) {
	f := newFakeIssuer(t)
	s := newTestServer(t, f)
	k, thief := dpoptest.NewKey(t), dpoptest.NewKey(t)
	c := f.claims()
	c["cnf"] = map[string]any{"jkt": k.JKT(t)}
	bound := idptest.SignJWT(t, f.key, f.kid, "at+jwt", c)
	bearer := idptest.SignJWT(t, f.key, f.kid, "at+jwt", f.claims())
	const htu = "http://localhost:9090/hello"
	proof := func(k *dpoptest.Key, method, url, token string) string {
		return k.Proof(t, method, url, dpoptest.Claims{IAT: testNow, AccessToken: token})
	}
	replayed := proof(k, "GET", htu, bound)

	tests := []struct {
		name, auth, proof string
		want              int
		code              string
	}{
		{"bound token with its proof", "DPoP " + bound, replayed, 200, ""},
		{"replayed proof", "DPoP " + bound, replayed, 401, dpop.CodeInvalidProof},
		{"bound token as Bearer", "Bearer " + bound, "", 401, "invalid_token"},
		{"bound token as Bearer with a proof", "Bearer " + bound, proof(k, "GET", htu, bound), 401, "invalid_token"},
		{"no proof", "DPoP " + bound, "", 401, dpop.CodeInvalidProof},
		{"thief's key", "DPoP " + bound, proof(thief, "GET", htu, bound), 401, "invalid_token"},
		{"proof for another token", "DPoP " + bound, proof(k, "GET", htu, bearer), 401, dpop.CodeInvalidProof},
		{"proof for another method", "DPoP " + bound, proof(k, "POST", htu, bound), 401, dpop.CodeInvalidProof},
		{"proof for another URL", "DPoP " + bound, proof(k, "GET", "http://localhost:9090/other", bound), 401, dpop.CodeInvalidProof},
		{"stale proof", "DPoP " + bound, k.Proof(t, "GET", htu, dpoptest.Claims{IAT: testNow.Add(-2 * dpop.MaxAge), AccessToken: bound}), 401, dpop.CodeInvalidProof},
		{"unbound token as DPoP", "DPoP " + bearer, proof(k, "GET", htu, bearer), 401, "invalid_token"},
		{"unbound token as Bearer", "Bearer " + bearer, "", 200, ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/hello", nil)
		req.Header.Set("Authorization", tt.auth)
		if tt.proof != "" {
			req.Header.Set("DPoP", tt.proof)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		got := rec.Header().Get("WWW-Authenticate")
		if rec.Code != tt.want || tt.code != "" && (!strings.HasPrefix(got, "DPoP ") || !strings.Contains(got, `error="`+tt.code+`"`)) {
			t.Errorf("%s: %d %q, want %d with a DPoP challenge %s", tt.name, rec.Code, got, tt.want, tt.code)
		}
		if tt.want == http.StatusOK && got != "" {
			t.Errorf("%s: challenge %q on success", tt.name, got)
		}
	}
}
