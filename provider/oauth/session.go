package oauth

import (
	"time"

	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp/keys"
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
	// IDTokenAlg and AccessTokenAlg are the algorithms the client
	// registered for its tokens (RS256 when empty), set by
	// Engine.NewAccessResponse from the client at each token request and
	// never stored, so a client's change applies to its next token, a
	// refreshed one too.
	IDTokenAlg     string `json:"-"`
	AccessTokenAlg string `json:"-"`
	// JKT is the thumbprint of the DPoP key the access token is bound to
	// (RFC 9449 §6.1), emitted as cnf.jkt; empty for a bearer token. The
	// token endpoint sets it for every token it issues, so a refresh
	// never carries an earlier token's binding forward by accident.
	JKT string `json:"jkt,omitempty"`
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
	if s.JKT != "" {
		extra["cnf"] = map[string]any{"jkt": s.JKT}
	}
	return &jwt.JWTClaims{Subject: s.Subject, Extra: extra, ScopeField: jwt.JWTScopeFieldString}
}

// GetJWTHeader marks access tokens as "at+jwt" (RFC 9068 §2.1) so they can
// never be confused with ID tokens, and tells the Signer the client's
// algorithm.
func (s *Session) GetJWTHeader() *jwt.Headers {
	h := &jwt.Headers{Extra: map[string]interface{}{"typ": "at+jwt"}}
	if s.AccessTokenAlg != "" {
		h.Extra[algHint] = s.AccessTokenAlg
	}
	return h
}

// IDTokenHeaders tells the Signer the client's ID token algorithm. Its
// "alg" entry, which fosite never writes into a token, is what fosite's
// at_hash computation reads (openid.IDTokenHandleHelper.ComputeHash takes
// the hash size from the digits after the first two characters): Ed25519
// hashes with SHA-512 (OpenID Connect Core §3.1.3.6 with RFC 8037), so
// EdDSA is given as "Ed512". A fresh value each call: the stored session's
// headers stay empty.
func (s *Session) IDTokenHeaders() *jwt.Headers {
	h := &jwt.Headers{Extra: map[string]interface{}{}}
	if s.DefaultSession != nil && s.DefaultSession.Headers != nil {
		for k, v := range s.DefaultSession.Headers.Extra {
			h.Extra[k] = v
		}
	}
	switch s.IDTokenAlg {
	case "":
	case keys.EdDSA:
		h.Extra[algHint], h.Extra["alg"] = s.IDTokenAlg, "Ed512"
	default:
		h.Extra[algHint], h.Extra["alg"] = s.IDTokenAlg, s.IDTokenAlg
	}
	return h
}
