package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// maxTokenLen bounds the work spent on a token before its signature is
// checked; the provider's access tokens are well under 2 KiB.
const maxTokenLen = 8 << 10

// accessToken is what the API learns from a verified access token.
type accessToken struct {
	Subject  string
	ClientID string
	Scopes   []string
	Expiry   time.Time
	// JKT is the thumbprint of the key the token is bound to (RFC 9449
	// §6.1); empty for a bearer token.
	JKT string
}

// hasScope reports whether the token was granted scope.
func (t accessToken) hasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }

// invalidTokenError is why a token was refused. Description is a fixed
// sentence, safe to send to the client in error_description (RFC 6750 §3);
// err carries the detail for the log only.
type invalidTokenError struct {
	Description string
	err         error
}

func (e *invalidTokenError) Error() string {
	if e.err == nil {
		return e.Description
	}
	return e.Description + ": " + e.err.Error()
}

func (e *invalidTokenError) Unwrap() error { return e.err }

func invalid(description string, err error) error {
	return &invalidTokenError{Description: description, err: err}
}

// tokenVerifier checks RFC 9068 JWT access tokens offline: signature through
// the provider's JWKS, then header and claims. It holds no per-request state
// and is safe for concurrent use.
type tokenVerifier struct {
	issuer   string
	audience string
	keys     oidc.KeySet
	now      func() time.Time
	leeway   time.Duration
}

// atClaims are the claims of an RFC 9068 §2.2 access token.
type atClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	CNF      struct {
		JKT string `json:"jkt"`
	} `json:"cnf"`
}

// signingAlgs are the algorithms the provider signs access tokens with:
// RS256 by default, ES256 or EdDSA for a client that registered them
// (access_token_signed_response_alg). Asymmetric only, so neither "none"
// nor an HMAC keyed with the public key can pass.
var signingAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// verify returns the token's grant, or an *invalidTokenError saying why the
// token is refused. The signature is checked before any claim is trusted,
// and only signingAlgs are accepted; the JWKS key the kid names must
// verify it, so the alg cannot pick another key.
func (v *tokenVerifier) verify(ctx context.Context, raw string) (accessToken, error) {
	if len(raw) > maxTokenLen {
		return accessToken{}, invalid("The access token is too long", nil)
	}
	jws, err := jose.ParseSignedCompact(raw, signingAlgs)
	if err != nil {
		return accessToken{}, invalid("The access token is malformed", err)
	}
	if len(jws.Signatures) != 1 {
		return accessToken{}, invalid("The access token is malformed", errors.New("want exactly one signature"))
	}
	if !isAccessTokenType(jws.Signatures[0].Protected) {
		return accessToken{}, invalid("The token is not an access token (typ must be at+jwt)", nil)
	}
	payload, err := v.keys.VerifySignature(ctx, raw)
	if err != nil {
		return accessToken{}, invalid("The access token signature is invalid", err)
	}
	var c atClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return accessToken{}, invalid("The access token claims are malformed", err)
	}
	if err := v.checkClaims(c); err != nil {
		return accessToken{}, err
	}
	return accessToken{
		Subject:  c.Subject,
		ClientID: c.ClientID,
		Scopes:   strings.Fields(c.Scope),
		Expiry:   c.Expiry.Time(),
		JKT:      c.CNF.JKT,
	}, nil
}

// isAccessTokenType applies RFC 9068 §4: the typ header must be "at+jwt"
// or "application/at+jwt" (media types compare case-insensitively,
// RFC 7515 §4.1.9), which keeps an ID token from being replayed as an
// access token.
func isAccessTokenType(h jose.Header) bool {
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	typ = strings.ToLower(typ)
	return typ == "at+jwt" || typ == "application/at+jwt"
}

// checkClaims applies RFC 9068 §4 to verified claims: required claims
// present (§2.2), issuer exact, audience containing ours, time window.
func (v *tokenVerifier) checkClaims(c atClaims) error {
	required := []struct {
		name    string
		missing bool
	}{
		{"iss", c.Issuer == ""}, {"sub", c.Subject == ""}, {"aud", len(c.Audience) == 0},
		{"exp", c.Expiry == nil}, {"iat", c.IssuedAt == nil}, {"jti", c.ID == ""},
		{"client_id", c.ClientID == ""},
	}
	for _, r := range required {
		if r.missing {
			return invalid(fmt.Sprintf("The access token lacks the %s claim", r.name), nil)
		}
	}
	err := c.Claims.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.issuer,
		AnyAudience: jwt.Audience{v.audience},
		Time:        v.now(),
	}, v.leeway)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return invalid("The access token was issued by another issuer", err)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return invalid("The access token is not meant for this API", err)
	case errors.Is(err, jwt.ErrExpired):
		return invalid("The access token expired", err)
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return invalid("The access token is not valid yet", err)
	default:
		return invalid("The access token is invalid", err)
	}
}
