package storage

import (
	"context"
	"time"
)

// TokenKind names the kind of OAuth artefact a token row holds.
type TokenKind string

// The kinds of token rows.
const (
	KindCode    TokenKind = "code"    // authorization code
	KindAccess  TokenKind = "access"  // access token
	KindRefresh TokenKind = "refresh" // refresh token
	KindPKCE    TokenKind = "pkce"    // PKCE request keyed by the authorization code
	KindOIDC    TokenKind = "oidc"    // OpenID Connect session keyed by the authorization code
)

// Token is one stored OAuth artefact.
type Token struct {
	Kind TokenKind
	// Signature is the raw signature when creating; the store keeps only
	// its SHA-256 hex, which Get returns.
	Signature   string
	RequestID   string
	ClientID    string
	Subject     string
	SessionID   string
	RequestedAt time.Time
	ExpiresAt   time.Time
	Active      bool
	Request     []byte
	// AccessSignature pairs a refresh token with its access token; stored
	// hashed like Signature.
	AccessSignature string
}

// Tokens stores every OAuth artefact the provider issues.
type Tokens struct{ s *Store }

// Create inserts tok.
func (t *Tokens) Create(ctx context.Context, tok Token) error { return errUnimplemented }

// Get returns the token even when inactive.
func (t *Tokens) Get(ctx context.Context, kind TokenKind, signature string) (Token, error) {
	return Token{}, errUnimplemented
}

// Delete removes the token.
func (t *Tokens) Delete(ctx context.Context, kind TokenKind, signature string) error {
	return errUnimplemented
}

// Deactivate marks an active token inactive.
func (t *Tokens) Deactivate(ctx context.Context, kind TokenKind, signature string) error {
	return errUnimplemented
}

// DeleteByRequest removes every token of the kind issued for requestID.
func (t *Tokens) DeleteByRequest(ctx context.Context, kind TokenKind, requestID string) (int64, error) {
	return 0, errUnimplemented
}

// DeleteBySession removes every token of the kind issued through sessionID.
func (t *Tokens) DeleteBySession(ctx context.Context, kind TokenKind, sessionID string) (int64, error) {
	return 0, errUnimplemented
}

// DeleteExpired removes tokens of every kind whose ExpiresAt is not after now.
func (t *Tokens) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return 0, errUnimplemented
}
