package dpop

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Algorithms are the proof signing algorithms accepted, and exactly those
// discovery lists as dpop_signing_alg_values_supported (RFC 9449 §5.1).
// All are asymmetric: a MAC would need a secret the server knows, which
// proves nothing about the client (§4.3 check 5 refuses "none" and
// symmetric algorithms).
var Algorithms = []jose.SignatureAlgorithm{
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
}

// AlgorithmNames is Algorithms as strings, for discovery and the
// WWW-Authenticate algs parameter (RFC 9449 §7.1).
func AlgorithmNames() []string {
	out := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		out[i] = string(a)
	}
	return out
}

// Limits of a proof. A proof is a small JWT; the caps keep a hostile one
// from costing parsing time or store space.
const (
	// MaxProofLength bounds the DPoP header value: a proof with an RSA-4096
	// key fits in about 1.5 KiB.
	MaxProofLength = 8 << 10
	// MaxJTILength bounds the jti, which the caller stores.
	MaxJTILength = 256
	// MaxAge is how old a proof's iat may be (RFC 9449 §11.1 asks for a
	// short window); replayed jtis are remembered for at least as long.
	MaxAge = 60 * time.Second
	// Leeway is how far a proof's iat may lie in the future, for clocks a
	// little ahead of ours.
	Leeway = 5 * time.Second
	// minRSABits refuses RSA keys too weak to prove anything.
	minRSABits = 2048
)

// Request is what a proof must match: the request it came with.
type Request struct {
	// Method is the HTTP method (htm).
	Method string
	// URL is the endpoint's public URL (htu), built from the issuer, not
	// from Host headers a client controls.
	URL string
	// AccessToken, when set, must be hashed into the proof's ath (§4.3
	// check 11): a resource request.
	AccessToken string
	// Now is the server's time.
	Now time.Time
	// Nonces, when set, requires a current server nonce in the proof.
	Nonces *Nonces
}

// Proof is a verified proof.
type Proof struct {
	// JKT is the base64url SHA-256 thumbprint of the proof's key, the
	// value of a bound token's cnf.jkt (RFC 9449 §6.1).
	JKT string
	// JTI is the proof's unique identifier; the caller refuses a second
	// use until Expires.
	JTI string
	// Expires is when the proof can no longer pass the iat check, so when
	// its jti may be forgotten.
	Expires time.Time
}

type claims struct {
	JTI   string      `json:"jti"`
	HTM   string      `json:"htm"`
	HTU   string      `json:"htu"`
	IAT   json.Number `json:"iat"`
	ATH   string      `json:"ath"`
	Nonce string      `json:"nonce"`
}

// Check parses proof and verifies it against req as RFC 9449 §4.3 lists:
// one well-formed JWS, typ "dpop+jwt", an accepted asymmetric alg, a
// public key in the jwk header that verifies the signature, jti present,
// htm and htu matching the request, iat within [now-MaxAge, now+Leeway],
// the nonce when req asks for one, and ath when req carries an access
// token. Every failure is an *Error: invalid_dpop_proof, or
// use_dpop_nonce when only the nonce is missing or stale. Check does not
// detect replay: the caller stores Proof.JTI.
func Check(proof string, req Request) (Proof, error) {
	c, jkt, err := parse(proof)
	if err != nil {
		return Proof{}, err
	}
	if c.HTM != req.Method {
		return Proof{}, invalid("the proof's htm does not match the request method")
	}
	if !SameURL(c.HTU, req.URL) {
		return Proof{}, invalid("the proof's htu does not match the request URL")
	}
	iat, err := c.IAT.Int64()
	if err != nil {
		return Proof{}, invalid("the proof's iat is not a number of seconds")
	}
	issued := time.Unix(iat, 0)
	if issued.Before(req.Now.Add(-MaxAge)) || issued.After(req.Now.Add(Leeway)) {
		return Proof{}, invalid("the proof's iat is outside the accepted window; sign a fresh proof")
	}
	if req.Nonces != nil && !req.Nonces.Valid(c.Nonce, req.Now) {
		return Proof{}, &Error{Code: CodeUseNonce, Description: "a current server nonce is required in the proof"}
	}
	if req.AccessToken != "" {
		want := TokenHash(req.AccessToken)
		if subtle.ConstantTimeCompare([]byte(c.ATH), []byte(want)) != 1 {
			return Proof{}, invalid("the proof's ath does not match the access token")
		}
	}
	return Proof{JKT: jkt, JTI: c.JTI, Expires: req.Now.Add(MaxAge + Leeway)}, nil
}

// parse verifies the proof's form, header and signature and returns its
// claims and key thumbprint; the request-dependent checks are Check's.
func parse(proof string) (claims, string, error) {
	if proof == "" {
		return claims{}, "", invalid("the DPoP proof is empty")
	}
	if len(proof) > MaxProofLength {
		return claims{}, "", invalid("the DPoP proof is too long")
	}
	jws, err := jose.ParseSignedCompact(proof, Algorithms)
	if err != nil {
		return claims{}, "", invalid("the DPoP proof is not a JWS signed with an accepted asymmetric algorithm")
	}
	if len(jws.Signatures) != 1 {
		return claims{}, "", invalid("the DPoP proof must carry one signature")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return claims{}, "", invalid(`the DPoP proof's typ must be "dpop+jwt"`)
	}
	jwk := h.JSONWebKey
	if jwk == nil || !jwk.Valid() || !jwk.IsPublic() {
		return claims{}, "", invalid("the DPoP proof's jwk header must be one public key")
	}
	if k, ok := jwk.Key.(*rsa.PublicKey); ok && k.N.BitLen() < minRSABits {
		return claims{}, "", invalid("the DPoP proof's RSA key is too short")
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		return claims{}, "", invalid("the DPoP proof's signature does not verify with its jwk")
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return claims{}, "", invalid("the DPoP proof's claims are not a JSON object")
	}
	if c.JTI == "" || len(c.JTI) > MaxJTILength {
		return claims{}, "", invalid("the DPoP proof's jti is missing or too long")
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return claims{}, "", invalid(fmt.Sprintf("the DPoP proof's key has no thumbprint: %v", err))
	}
	return c, base64.RawURLEncoding.EncodeToString(tp), nil
}

// TokenHash is the ath of a proof sent with accessToken: base64url of
// its SHA-256 (RFC 9449 §4.2).
func TokenHash(accessToken string) string {
	h := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// SameJKT compares two thumbprints in constant time.
func SameJKT(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
