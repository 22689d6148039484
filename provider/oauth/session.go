package oauth

import (
	"time"

	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Session is what fosite stores with every code and token: the ID token
// claims (openid.DefaultSession) plus what the access token and our own
// endpoints need. It is serialised as JSON by the store adapter.
type Session struct {
	*openid.DefaultSession `json:"oidc"`
	// ClientID is the "client_id" claim of RFC 9068 access tokens.
	ClientID string `json:"client_id"`
	// SessionID is the provider browser session ("sid") the grant came
	// from; empty for client credentials.
	SessionID string `json:"sid,omitempty"`
	// GrantedAt is when the member authorised the grant; it bounds the
	// refresh token family's absolute lifetime.
	GrantedAt time.Time `json:"granted_at"`
	// ClientCredentials marks a grant without a member: its access token
	// row is only a record for introspection and revocation, and is written
	// without waiting for the disk (see fositeStore.create).
	ClientCredentials bool `json:"cc,omitempty"`
}

var (
	_ openid.Session = (*Session)(nil)
	_ interface {
		GetJWTClaims() jwt.JWTClaimsContainer
		GetJWTHeader() *jwt.Headers
	} = (*Session)(nil)
)

// NewSession is an empty session with the claim and header maps fosite
// expects to fill.
func NewSession() *Session {
	return &Session{DefaultSession: &openid.DefaultSession{
		Claims:  &jwt.IDTokenClaims{},
		Headers: &jwt.Headers{},
	}}
}

// GetJWTClaims gives the claims of the RFC 9068 access token; fosite adds
// exp, scope, aud, iat and iss.
func (s *Session) GetJWTClaims() jwt.JWTClaimsContainer {
	extra := map[string]interface{}{"client_id": s.ClientID}
	if s.SessionID != "" {
		extra["sid"] = s.SessionID
	}
	if s.Claims != nil && !s.Claims.AuthTime.IsZero() {
		extra["auth_time"] = s.Claims.AuthTime.Unix()
	}
	return &jwt.JWTClaims{Subject: s.Subject, Extra: extra, ScopeField: jwt.JWTScopeFieldString}
}

// GetJWTHeader marks access tokens as "at+jwt" (RFC 9068 §2.1) so they can
// never be confused with ID tokens.
func (s *Session) GetJWTHeader() *jwt.Headers {
	return &jwt.Headers{Extra: map[string]interface{}{"typ": "at+jwt"}}
}
