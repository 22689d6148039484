// Package dpoptest builds DPoP proofs (RFC 9449) with go-jose for tests,
// as a client library would, including the malformed ones an attacker
// sends.
package dpoptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idp/idp/dpop"
)

// Key is a client's proof key.
type Key struct {
	Private crypto.Signer
	Alg     jose.SignatureAlgorithm
}

// NewKey returns a fresh P-256 key signing ES256.
func NewKey(t testing.TB) *Key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Private: k, Alg: jose.ES256}
}

// JKT is the key's thumbprint, as a bound token's cnf.jkt names it.
func (k *Key) JKT(t testing.TB) string {
	t.Helper()
	tp, err := (&jose.JSONWebKey{Key: k.Private.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// Claims of a proof; zero fields are filled by Proof unless Omit names
// them.
type Claims struct {
	JTI, HTM, HTU, ATH, Nonce string
	IAT                       time.Time
	// AccessToken, when set, fills ATH with its hash.
	AccessToken string
}

// Options bend a proof the way an attacker would.
type Options struct {
	// Typ replaces "dpop+jwt".
	Typ string
	// JWK replaces the public key in the header (a private key, another
	// key, nothing).
	JWK *jose.JSONWebKey
	// NoJWK leaves the jwk header out.
	NoJWK bool
}

// Proof signs a proof for method and url with k.
func (k *Key) Proof(t testing.TB, method, url string, c Claims, opts ...Options) string {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if c.JTI == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		c.JTI = base64.RawURLEncoding.EncodeToString(b)
	}
	if c.IAT.IsZero() {
		c.IAT = time.Now()
	}
	if c.AccessToken != "" {
		c.ATH = dpop.TokenHash(c.AccessToken)
	}
	typ := "dpop+jwt"
	if o.Typ != "" {
		typ = o.Typ
	}
	so := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	switch {
	case o.NoJWK:
	case o.JWK != nil:
		so = so.WithHeader("jwk", o.JWK)
	default:
		so.EmbedJWK = true
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: k.Private}, so)
	if err != nil {
		t.Fatal(err)
	}
	payload := map[string]any{"jti": c.JTI, "htm": method, "htu": url, "iat": c.IAT.Unix()}
	if c.ATH != "" {
		payload["ath"] = c.ATH
	}
	if c.Nonce != "" {
		payload["nonce"] = c.Nonce
	}
	return sign(t, s, payload)
}
