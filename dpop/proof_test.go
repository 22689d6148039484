package dpop_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idp/idp/dpop"
	"github.com/idp/idp/dpop/dpoptest"
)

const tokenURL = "https://idp.example.com/oauth2/token"

func req(now time.Time) dpop.Request {
	return dpop.Request{Method: "POST", URL: tokenURL, Now: now}
}

func code(t *testing.T, err error) string {
	t.Helper()
	var e *dpop.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *dpop.Error", err)
	}
	return e.Code
}

func TestCheckAcceptsAProofOfEachKeyType(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, k := range []*dpoptest.Key{
		{Private: ec, Alg: jose.ES256}, {Private: ed, Alg: jose.EdDSA},
		{Private: rs, Alg: jose.RS256}, {Private: rs, Alg: jose.PS256},
	} {
		t.Run(string(k.Alg), func(t *testing.T) {
			now := time.Now()
			p, err := dpop.Check(k.Proof(t, "POST", tokenURL, dpoptest.Claims{JTI: "j1"}), req(now))
			if err != nil {
				t.Fatal(err)
			}
			if p.JKT != k.JKT(t) || p.JTI != "j1" || !p.Expires.After(now.Add(dpop.MaxAge)) {
				t.Fatalf("proof = %+v, want jkt %s", p, k.JKT(t))
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	k := dpoptest.NewKey(t)
	other := dpoptest.NewKey(t)
	now := time.Now()
	priv := &jose.JSONWebKey{Key: k.Private}
	otherPub := &jose.JSONWebKey{Key: other.Private.Public()}
	claims := map[string]any{"jti": "x", "htm": "POST", "htu": tokenURL, "iat": now.Unix()}
	cases := map[string]string{
		"empty":           "",
		"garbage":         "a.b.c",
		"too long":        string(make([]byte, dpop.MaxProofLength+1)),
		"wrong typ":       k.Proof(t, "POST", tokenURL, dpoptest.Claims{}, dpoptest.Options{Typ: "JWT"}),
		"no jwk":          k.Proof(t, "POST", tokenURL, dpoptest.Claims{}, dpoptest.Options{NoJWK: true}),
		"private jwk":     k.Proof(t, "POST", tokenURL, dpoptest.Claims{}, dpoptest.Options{JWK: priv}),
		"other key's jwk": k.Proof(t, "POST", tokenURL, dpoptest.Claims{}, dpoptest.Options{JWK: otherPub}),
		"wrong htm":       k.Proof(t, "GET", tokenURL, dpoptest.Claims{}),
		"wrong htu":       k.Proof(t, "POST", "https://idp.example.com/oauth2/userinfo", dpoptest.Claims{}),
		"other host":      k.Proof(t, "POST", "https://evil.example.com/oauth2/token", dpoptest.Claims{}),
		"stale iat":       k.Proof(t, "POST", tokenURL, dpoptest.Claims{IAT: now.Add(-dpop.MaxAge - time.Second)}),
		"future iat":      k.Proof(t, "POST", tokenURL, dpoptest.Claims{IAT: now.Add(dpop.Leeway + 2*time.Second)}),
		"alg none":        dpoptest.Unsigned(map[string]any{"alg": "none", "typ": "dpop+jwt"}, claims),
		"alg HS256":       dpoptest.HS256(map[string]any{"typ": "dpop+jwt"}, claims, []byte("0123456789abcdef0123456789abcdef")),
		"jti too long":    k.Proof(t, "POST", tokenURL, dpoptest.Claims{JTI: string(make([]byte, 300))}),
	}
	for name, proof := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := dpop.Check(proof, req(now)); err == nil || code(t, err) != dpop.CodeInvalidProof {
				t.Fatalf("Check = %v, want %s", err, dpop.CodeInvalidProof)
			}
		})
	}
}

func TestCheckAth(t *testing.T) {
	k := dpoptest.NewKey(t)
	now := time.Now()
	r := dpop.Request{Method: "GET", URL: "https://idp.example.com/oauth2/userinfo", AccessToken: "tok", Now: now}
	if _, err := dpop.Check(k.Proof(t, "GET", r.URL, dpoptest.Claims{AccessToken: "tok"}), r); err != nil {
		t.Fatalf("matching ath: %v", err)
	}
	for name, c := range map[string]dpoptest.Claims{"missing": {}, "other token": {AccessToken: "other"}} {
		if _, err := dpop.Check(k.Proof(t, "GET", r.URL, c), r); err == nil || code(t, err) != dpop.CodeInvalidProof {
			t.Errorf("%s ath: %v, want %s", name, err, dpop.CodeInvalidProof)
		}
	}
}

func TestCheckNonce(t *testing.T) {
	k := dpoptest.NewKey(t)
	now := time.Now()
	n := dpop.NewNonces([]byte("0123456789abcdef0123456789abcdef"))
	r := req(now)
	r.Nonces = n
	if _, err := dpop.Check(k.Proof(t, "POST", tokenURL, dpoptest.Claims{}), r); err == nil || code(t, err) != dpop.CodeUseNonce {
		t.Fatalf("no nonce: %v, want %s", err, dpop.CodeUseNonce)
	}
	forged := dpop.NewNonces([]byte("another key, another key, anothe")).Issue(now)
	if _, err := dpop.Check(k.Proof(t, "POST", tokenURL, dpoptest.Claims{Nonce: forged}), r); err == nil || code(t, err) != dpop.CodeUseNonce {
		t.Fatalf("forged nonce: %v, want %s", err, dpop.CodeUseNonce)
	}
	if _, err := dpop.Check(k.Proof(t, "POST", tokenURL, dpoptest.Claims{Nonce: n.Issue(now)}), r); err != nil {
		t.Fatalf("current nonce: %v", err)
	}
	if !n.Valid(n.Issue(now.Add(-dpop.NonceWindow)), now) {
		t.Fatal("the previous window's nonce is refused")
	}
	if n.Valid(n.Issue(now.Add(-2*dpop.NonceWindow)), now) || n.Valid(n.Issue(now.Add(dpop.NonceWindow)), now) {
		t.Fatal("a nonce two windows old, or of the next window, is accepted")
	}
}

func TestSameURL(t *testing.T) {
	for _, c := range []struct {
		htu  string
		want bool
	}{
		{"https://idp.example.com/oauth2/token", true},
		{"HTTPS://IDP.example.COM:443/oauth2/token", true},
		{"https://idp.example.com/oauth2/token?x=1#f", true},
		{"https://idp.example.com/oauth2/%74oken", true},
		{"https://idp.example.com/oauth2%2Ftoken", false},
		{"https://idp.example.com:8443/oauth2/token", false},
		{"http://idp.example.com/oauth2/token", false},
		{"https://idp.example.com/oauth2/token/", false},
		{"https://idp.example.com/OAUTH2/token", false},
		{"https://user@idp.example.com/oauth2/token", false},
		{"/oauth2/token", false},
		{"", false},
	} {
		if got := dpop.SameURL(c.htu, tokenURL); got != c.want {
			t.Errorf("SameURL(%q) = %v, want %v", c.htu, got, c.want)
		}
	}
	if !dpop.SameURL("http://h/a%2fb", "http://h/a%2Fb") || dpop.SameURL("http://h/a%2Fb", "http://h/a/b") {
		t.Error("percent-encoding of a reserved character is not normalised, or is decoded")
	}
	if !dpop.SameURL("http://127.0.0.1:80", "http://127.0.0.1/") {
		t.Error("default port and empty path are not normalised")
	}
}

// FuzzCheck feeds arbitrary proofs to the parser: it must never panic and
// must refuse everything it cannot verify with a *dpop.Error.
func FuzzCheck(f *testing.F) {
	k := dpoptest.NewKey(f)
	f.Add(k.Proof(f, "POST", tokenURL, dpoptest.Claims{}))
	f.Add(dpoptest.Unsigned(map[string]any{"alg": "none"}, map[string]any{"jti": 1}))
	f.Add("eyJhbGciOiJFUzI1NiJ9..")
	f.Fuzz(func(t *testing.T, proof string) {
		now := time.Now()
		p, err := dpop.Check(proof, req(now))
		if err != nil {
			var e *dpop.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not a *dpop.Error", err)
			}
			return
		}
		if p.JKT == "" || p.JTI == "" {
			t.Fatalf("accepted proof without jkt or jti: %+v", p)
		}
	})
}

// FuzzSameURL: the htu comparison never panics, is symmetric, and an
// htu it accepts at all matches itself.
func FuzzSameURL(f *testing.F) {
	f.Add("https://idp.example.com/oauth2/token", "HTTPS://idp.example.com:443/oauth2/token?x#y")
	f.Add("http://[::1]:80/a%2Fb", "http://[::1]/a%2fb")
	f.Fuzz(func(t *testing.T, a, b string) {
		if dpop.SameURL(a, b) != dpop.SameURL(b, a) {
			t.Fatalf("SameURL(%q, %q) is not symmetric", a, b)
		}
		if dpop.SameURL(a, b) && !dpop.SameURL(a, a) {
			t.Fatalf("%q matches %q but not itself", a, b)
		}
	})
}
