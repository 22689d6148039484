package dpoptest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func sign(t testing.TB, s jose.Signer, payload map[string]any) string {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Unsigned is a proof with alg "none": header and claims, no signature.
func Unsigned(header, claims map[string]any) string {
	return segment(header) + "." + segment(claims) + "."
}

func segment(v map[string]any) string {
	b, _ := json.Marshal(v)
	return b64(b)
}

func b64(b []byte) string { return base64URL.EncodeToString(b) }

var base64URL = base64.RawURLEncoding

// HS256 is a proof MACed with a shared key: a symmetric algorithm, which
// proves nothing about the client.
func HS256(header, claims map[string]any, key []byte) string {
	header["alg"] = "HS256"
	in := segment(header) + "." + segment(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}
