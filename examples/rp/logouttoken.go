package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	// backchannelLogoutEvent is the events member that makes a JWT a
	// logout token (Back-Channel Logout §2.4).
	backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"
	// logoutTokenMaxAge bounds how old a logout token may be, since the
	// provider delivers it at once; clockSkew tolerates clock differences.
	logoutTokenMaxAge = 5 * time.Minute
	clockSkew         = time.Minute
	maxLogoutTokenLen = 8 << 10
)

// logoutToken is what a verified logout token says: whose session ended.
type logoutToken struct {
	Subject string
	SID     string
}

type logoutClaims struct {
	Issuer   string                     `json:"iss"`
	Subject  string                     `json:"sub"`
	Audience jwt.Audience               `json:"aud"`
	IssuedAt *jwt.NumericDate           `json:"iat"`
	Expiry   *jwt.NumericDate           `json:"exp"`
	ID       string                     `json:"jti"`
	SID      string                     `json:"sid"`
	Events   map[string]json.RawMessage `json:"events"`
	// Nonce is kept raw so that its mere presence, even as null, is seen.
	Nonce json.RawMessage `json:"nonce"`
}

// verifyLogoutToken validates a logout token as Back-Channel Logout §2.6
// asks: RS256 signature by a key in the provider's JWKS, iss ours, aud
// containing our client id, iat recent, exp (when present) not passed, jti
// present, the logout event present, sub or sid present, and no nonce (so
// an ID token can never pass as a logout token). Errors wrap
// errLogoutToken.
func (s *server) verifyLogoutToken(ctx context.Context, raw string) (logoutToken, error) {
	if len(raw) > maxLogoutTokenLen {
		return logoutToken{}, logoutTokenError("too long")
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return logoutToken{}, logoutTokenError("malformed: %v", err)
	}
	payload, err := s.keys.VerifySignature(s.clientContext(ctx), raw)
	if err != nil {
		return logoutToken{}, logoutTokenError("signature: %v", err)
	}
	var c logoutClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return logoutToken{}, logoutTokenError("claims: %v", err)
	}
	if err := s.checkLogoutClaims(c); err != nil {
		return logoutToken{}, err
	}
	return logoutToken{Subject: c.Subject, SID: c.SID}, nil
}

func (s *server) checkLogoutClaims(c logoutClaims) error {
	now := s.cfg.Now()
	switch {
	case c.Issuer != s.cfg.Issuer:
		return logoutTokenError("iss %q is not %q", c.Issuer, s.cfg.Issuer)
	case !slices.Contains(c.Audience, s.cfg.ClientID):
		return logoutTokenError("aud %q lacks %q", []string(c.Audience), s.cfg.ClientID)
	case c.IssuedAt == nil:
		return logoutTokenError("no iat")
	case c.IssuedAt.Time().Before(now.Add(-logoutTokenMaxAge - clockSkew)):
		return logoutTokenError("iat %s is too old", c.IssuedAt.Time())
	case c.IssuedAt.Time().After(now.Add(clockSkew)):
		return logoutTokenError("iat %s is in the future", c.IssuedAt.Time())
	case c.Expiry != nil && c.Expiry.Time().Before(now.Add(-clockSkew)):
		return logoutTokenError("expired at %s", c.Expiry.Time())
	case c.ID == "":
		return logoutTokenError("no jti")
	case !isJSONObject(c.Events[backchannelLogoutEvent]):
		return logoutTokenError("no %s event", backchannelLogoutEvent)
	case c.Subject == "" && c.SID == "":
		return logoutTokenError("neither sub nor sid")
	case c.Nonce != nil:
		return logoutTokenError("has a nonce")
	}
	return nil
}

func isJSONObject(raw json.RawMessage) bool {
	return bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{"))
}

// errLogoutToken wraps every reason a logout token is refused.
var errLogoutToken = errors.New("logout token")

func logoutTokenError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errLogoutToken, fmt.Sprintf(format, args...))
}
