package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
)

// AssertionType is the client_assertion_type of private_key_jwt (RFC 7523
// §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Bounds on client assertions. fosite v0.49.0 has private_key_jwt, but
// refuses EdDSA, allows no clock skew (an assertion a second early is a
// 500), accepts only the token endpoint's URL as aud, and takes any exp;
// so assertions are verified here instead, with go-jose v4.
const (
	// assertionLeeway absorbs the clock skew between client and provider.
	assertionLeeway = 30 * time.Second
	// maxAssertionLifetime bounds exp − iat (or exp − now without iat), so
	// the used-jti record a replay check needs is short-lived.
	maxAssertionLifetime = 5 * time.Minute
)

// assertionAlgs are the only algorithms a signature may claim: asymmetric,
// so neither "none" nor HS256 (client_secret_jwt) gets as far as a key.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// badAssertion is the one answer to every refused assertion; the reason
// goes to the log only.
func badAssertion(reason string) error {
	return fosite.ErrInvalidClient.WithHint("The client assertion is not valid.").WithDebug(reason)
}

// AuthenticateAssertion authenticates a private_key_jwt client (RFC 7523
// §3, OpenID Connect Core §9) at the endpoint whose URL is endpoint: a JWT
// signed with the client's registered algorithm by one of its registered
// keys, iss and sub the client id, aud the issuer or endpoint, exp no
// more than maxAssertionLifetime ahead, and a jti used once. Every refusal
// is invalid_client; a replay is refused by an atomic insert of the jti.
func (e *Engine) AuthenticateAssertion(ctx context.Context, form url.Values, endpoint string) (Client, error) {
	if form.Get("client_assertion_type") != AssertionType {
		return Client{}, fosite.ErrInvalidClient.WithHintf("client_assertion_type must be %s.", AssertionType)
	}
	tok, err := jwt.ParseSigned(form.Get("client_assertion"), assertionAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return Client{}, badAssertion("not a compact JWS signed with RS256, ES256 or EdDSA")
	}
	var claimed jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&claimed); err != nil {
		return Client{}, badAssertion("claims: " + err.Error())
	}
	id := claimed.Subject
	if id == "" || claimed.Issuer != id || (form.Get("client_id") != "" && form.Get("client_id") != id) {
		return Client{}, badAssertion("iss, sub and client_id disagree")
	}
	c, err := e.Client(ctx, id)
	if errors.Is(err, idp.ErrNotFound) {
		return Client{}, badAssertion("unknown client")
	}
	if err != nil {
		return Client{}, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	hdr := tok.Headers[0]
	if c.TokenEndpointAuthMethod != idp.AuthMethodPrivateKeyJWT || hdr.Algorithm != c.TokenEndpointAuthSigningAlg {
		return Client{}, badAssertion("client not registered for private_key_jwt with alg " + hdr.Algorithm)
	}
	var claims jwt.Claims
	if err := e.verifyAssertion(ctx, c, tok, hdr.KeyID, &claims); err != nil {
		return Client{}, err
	}
	now := e.cfg.Now()
	if err := claims.ValidateWithLeeway(jwt.Expected{
		Issuer: id, Subject: id, AnyAudience: jwt.Audience{e.cfg.Issuer, endpoint}, Time: now,
	}, assertionLeeway); err != nil {
		return Client{}, badAssertion(err.Error())
	}
	if claims.Expiry == nil || claims.ID == "" {
		return Client{}, badAssertion("exp and jti are required")
	}
	exp, start := claims.Expiry.Time(), now
	if claims.IssuedAt != nil {
		start = claims.IssuedAt.Time()
	}
	if exp.Sub(start) > maxAssertionLifetime {
		return Client{}, badAssertion("exp too far ahead")
	}
	sum := sha256.Sum256([]byte(id + "\x00" + claims.ID))
	err = e.cfg.Store.Assertions.Use(ctx, hex.EncodeToString(sum[:]), exp.Add(assertionLeeway), now)
	if errors.Is(err, idp.ErrConflict) {
		return Client{}, badAssertion("jti already used")
	}
	if err != nil {
		return Client{}, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	return Client{c}, nil
}

// verifyAssertion checks the signature with the client's keys of its
// algorithm (and the header's kid, when sent); a kid not in a fetched set
// asks for the set again, within keySource's bounds.
func (e *Engine) verifyAssertion(ctx context.Context, c idp.Client, tok *jwt.JSONWebToken, kid string, into *jwt.Claims) error {
	for _, refresh := range []bool{false, true} {
		if refresh && c.JWKSURI == "" {
			break
		}
		set, err := e.keys.keys(ctx, c, refresh)
		if err != nil {
			return badAssertion("keys: " + err.Error())
		}
		usable := clients.UsableKeys(set, c.TokenEndpointAuthSigningAlg)
		known := false
		for _, k := range usable {
			if kid != "" && k.KeyID != kid {
				continue
			}
			known = true
			if tok.Claims(k.Key, into) == nil {
				return nil
			}
		}
		if known || kid == "" {
			break
		}
	}
	return badAssertion("no registered key verifies the signature")
}

// AssertionAlgs are the algorithms discovery lists for private_key_jwt.
func AssertionAlgs() []string {
	out := make([]string, 0, len(assertionAlgs))
	for _, a := range assertionAlgs {
		out = append(out, string(a))
	}
	return slices.Clip(out)
}
