package clients

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/idp/idp"
)

// AssertionAlgs are the signing algorithms of private_key_jwt assertions
// (RFC 7523): asymmetric only, so client_secret_jwt and "none" are never
// accepted. A client registers exactly one.
var AssertionAlgs = []string{"RS256", "ES256", "EdDSA"}

// checkProtocol checks the metadata of the newer protocols (private_key_jwt
// keys, PAR, DPoP, token signing algorithms). A setting the provider does
// not honour yet is refused rather than stored, so a registration never
// promises a protection the token endpoint does not give.
// dpop_bound_access_tokens (RFC 9449 §5.2) is honoured by the token
// endpoint and needs no check: any client may hold a key.
func checkProtocol(c idp.Client, add func(field, format string, args ...any)) {
	checkKeys(c, add)
	// Pushed authorization requests (RFC 9126) are served: requiring them
	// means something only for a client of the authorization endpoint.
	if c.RequirePAR && !slices.Contains(c.GrantTypes, idp.GrantAuthorizationCode) {
		add("require_pushed_authorization_requests", "only for clients of the %s grant", idp.GrantAuthorizationCode)
	}
	for _, f := range []struct{ name, alg string }{
		{"id_token_signed_response_alg", c.IDTokenSignedResponseAlg},
		{"access_token_signed_response_alg", c.AccessTokenSignedResponseAlg},
	} {
		if f.alg != "" && !slices.Contains(SigningAlgs, f.alg) {
			add(f.name, "%q is not one of %s (empty means RS256)", f.alg, strings.Join(SigningAlgs, ", "))
		}
	}
}

// SigningAlgs are the algorithms a client may register for its ID and
// access tokens (OpenID Connect Registration §2 id_token_signed_response_alg,
// RFC 9068 §5's access_token_signed_response_alg). RS256, the default,
// first; the names are JOSE's (RFC 7518 §3.1, RFC 8037 §3.1), compared
// exactly. "none" and HMAC are never offered: every token is verifiable
// with the published keys alone.
var SigningAlgs = []string{"RS256", "ES256", "EdDSA"}

// checkKeys: a private_key_jwt client registers one assertion algorithm
// and its public keys, inline (jwks) or by URL (jwks_uri), never both;
// other clients register none of these.
func checkKeys(c idp.Client, add func(field, format string, args ...any)) {
	if c.TokenEndpointAuthMethod != idp.AuthMethodPrivateKeyJWT {
		for field, set := range map[string]bool{
			"jwks": c.JWKS != "", "jwks_uri": c.JWKSURI != "", "token_endpoint_auth_signing_alg": c.TokenEndpointAuthSigningAlg != "",
		} {
			if set {
				add(field, "only for clients whose token_endpoint_auth_method is %s", idp.AuthMethodPrivateKeyJWT)
			}
		}
		return
	}
	if !slices.Contains(AssertionAlgs, c.TokenEndpointAuthSigningAlg) {
		add("token_endpoint_auth_signing_alg", "%q: want one of %q", c.TokenEndpointAuthSigningAlg, AssertionAlgs)
	}
	switch {
	case (c.JWKS == "") == (c.JWKSURI == ""):
		add("jwks", "a private_key_jwt client registers exactly one of jwks and jwks_uri")
	case c.JWKSURI != "":
		if msg := checkJWKSURI(c.JWKSURI); msg != "" {
			add("jwks_uri", "%s", msg)
		}
	default:
		set, msg := ParseJWKS([]byte(c.JWKS))
		if msg == "" && len(UsableKeys(set, c.TokenEndpointAuthSigningAlg)) == 0 {
			msg = "no public signing key (\"use\":\"sig\") of the token_endpoint_auth_signing_alg"
		}
		if msg != "" {
			add("jwks", "%s", msg)
		}
	}
}

// checkJWKSURI: https, or http to a loopback host for development; the
// fetch itself refuses private addresses again at connection time.
func checkJWKSURI(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return "not an absolute URL without user or fragment"
	}
	if u.Scheme == "https" || (u.Scheme == "http" && IsLoopbackHost(u.Hostname())) {
		return ""
	}
	return "must be https (http only to a loopback host)"
}

// IsLoopbackHost reports whether host names this machine: localhost, a
// name under it (RFC 6761 §6.3), or a loopback address.
func IsLoopbackHost(host string) bool {
	h := strings.ToLower(host)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// MaxJWKSBytes bounds a client's key set, inline or fetched; a few keys
// take a few kilobytes. maxJWKSKeys bounds the keys tried per assertion.
const (
	MaxJWKSBytes = 64 << 10
	maxJWKSKeys  = 20
)

// ParseJWKS parses a JSON Web Key Set (RFC 7517 §5), or says what is
// wrong with it; a private key in it is refused.
func ParseJWKS(raw []byte) (jose.JSONWebKeySet, string) {
	var set jose.JSONWebKeySet
	if len(raw) > MaxJWKSBytes {
		return set, fmt.Sprintf("larger than %d bytes", MaxJWKSBytes)
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return set, "not a JSON Web Key Set: " + err.Error()
	}
	if len(set.Keys) == 0 || len(set.Keys) > maxJWKSKeys {
		return set, fmt.Sprintf("must hold 1 to %d keys", maxJWKSKeys)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			return set, "holds a private or symmetric key; register public keys only"
		}
	}
	return set, ""
}

// UsableKeys are the keys of set that may verify an assertion signed with
// alg: public, marked "use":"sig", of alg's key type (RSA of at least
// 2048 bits, P-256, Ed25519), and without another "alg".
func UsableKeys(set jose.JSONWebKeySet, alg string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range set.Keys {
		if k.Use != "sig" || (k.Algorithm != "" && k.Algorithm != alg) || !k.IsPublic() {
			continue
		}
		ok := false
		switch key := k.Key.(type) {
		case *rsa.PublicKey:
			ok = alg == "RS256" && key.N.BitLen() >= 2048
		case *ecdsa.PublicKey:
			ok = alg == "ES256" && key.Curve == elliptic.P256()
		case ed25519.PublicKey:
			ok = alg == "EdDSA"
		}
		if ok {
			out = append(out, k)
		}
	}
	return out
}
