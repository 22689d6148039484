package main

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/idp/idp/internal/idptest"
)

// forge builds a token by hand with the given header, claims and signature,
// the way an attacker would.
func forge(t *testing.T, header, claims map[string]any, sign func(signingInput string) []byte) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign(input))
}

func staticVerifier(f *fakeIssuer) *tokenVerifier {
	return &tokenVerifier{
		issuer:   f.URL,
		audience: "demo-api",
		keys:     &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&f.key.PublicKey}},
		now:      func() time.Time { return testNow },
		leeway:   30 * time.Second,
	}
}

// TestVerifyRefusesOtherAlgorithms covers the classic JWT confusions: an
// unsigned token, and an HMAC keyed with the public key the JWKS publishes.
func TestVerifyRefusesOtherAlgorithms(t *testing.T) {
	f := newFakeIssuer(t)
	v := staticVerifier(f)
	pub, err := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"alg none": forge(t, map[string]any{"alg": "none", "typ": "at+jwt"}, f.claims(),
			func(string) []byte { return nil }),
		"HS256 keyed with the public key": forge(t, map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": f.kid}, f.claims(),
			func(in string) []byte { m := hmac.New(sha256.New, pub); m.Write([]byte(in)); return m.Sum(nil) }),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := v.verify(context.Background(), raw)
			var ite *invalidTokenError
			if !errors.As(err, &ite) || ite.Description != "The access token is malformed" {
				t.Errorf("verify = %v, want a malformed-token refusal", err)
			}
		})
	}
}

// FuzzVerify feeds untrusted input to the token parser: it must never panic,
// and whatever it accepts must satisfy every check.
func FuzzVerify(f *testing.F) {
	iss := newFakeIssuer(f)
	v := staticVerifier(iss)
	f.Add(idptest.SignJWT(f, iss.key, iss.kid, "at+jwt", iss.claims()))
	f.Add(idptest.SignJWT(f, iss.key, iss.kid, "JWT", iss.claims()))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("....")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := v.verify(context.Background(), raw)
		if err != nil {
			var ite *invalidTokenError
			if !errors.As(err, &ite) || ite.Description == "" {
				t.Fatalf("verify error %v is not an *invalidTokenError with a description", err)
			}
			return
		}
		if tok.ClientID == "" || tok.Subject == "" || tok.Expiry.Before(testNow.Add(-v.leeway)) {
			t.Fatalf("verify accepted %q as %+v", raw, tok)
		}
	})
}
