package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/idp/idp"
)

// TokenKind names the kind of OAuth artefact a token row holds. The
// signature of a row is unique within its kind.
type TokenKind string

// The kinds of token rows, one per fosite storage interface.
const (
	KindCode    TokenKind = "code"    // authorization code (RFC 6749 §4.1.2)
	KindAccess  TokenKind = "access"  // access token
	KindRefresh TokenKind = "refresh" // refresh token (RFC 6749 §6)
	KindPKCE    TokenKind = "pkce"    // PKCE request (RFC 7636), keyed by the authorization code
	KindOIDC    TokenKind = "oidc"    // OpenID Connect session, keyed by the authorization code
)

// Token is one stored OAuth artefact: the provider's serialized request
// plus the columns the store looks rows up by.
type Token struct {
	Kind TokenKind
	// Signature is the raw signature (or, for KindPKCE and KindOIDC, the
	// raw authorization code) when creating. The store keeps only its
	// SHA-256 hex and methods taking a signature hash it the same way, so
	// callers always pass the raw value; Get returns the hash.
	Signature string
	// RequestID groups every token of one grant (fosite's request ID), so
	// a reused code or refresh token can revoke the whole family.
	RequestID string
	ClientID  string
	Subject   string
	// SessionID is the provider session ("sid") the grant came from; empty
	// for client credentials.
	SessionID   string
	RequestedAt time.Time
	// ExpiresAt is when the row stops being useful; DeleteExpired removes
	// it then. Codes and refresh tokens that were deactivated are kept
	// until this time so reuse can still be detected.
	ExpiresAt time.Time
	// Active is false once a code is redeemed or a refresh token rotated.
	Active bool
	// Request is the serialized request, stored and returned byte for
	// byte; an empty one comes back nil.
	Request []byte
	// AccessSignature pairs a refresh token with its access token; raw
	// when creating, hashed (or empty) as Get returns it.
	AccessSignature string
	// Successor is what the provider attached to the token with
	// SetSuccessor once it was deactivated, stored and returned byte for
	// byte; nil until then. Create ignores it.
	Successor []byte
	// Volatile lets Create return before the row is flushed to disk
	// (PostgreSQL synchronous_commit=off): a crash of the database server
	// may lose the rows of its last moments. Only for rows whose loss fails
	// closed. It is not stored; Get returns false.
	Volatile bool
}

// Tokens stores every OAuth artefact the provider issues, in one table
// keyed by (kind, SHA-256 hex of the signature).
type Tokens struct{ s *Store }

const tokenColumns = `kind, signature, request_id, client_id, subject, session_id, requested_at, expires_at,
	active, request, access_signature`

// Create inserts tok (the client-credentials hot path). A duplicate kind
// and signature returns an error wrapping idp.ErrConflict, an unknown
// client one wrapping idp.ErrNotFound. It returns once the row is
// committed; outside a transaction on PostgreSQL, rows created at the same
// time share one statement and one commit (see insertBatcher).
func (t *Tokens) Create(ctx context.Context, tok Token) error {
	var err error
	switch {
	case t.s.batch != nil && t.s.activeTx(ctx) == nil && tok.Volatile:
		err = t.s.volatile.insert(ctx, tok)
	case t.s.batch != nil && t.s.activeTx(ctx) == nil:
		err = t.s.batch.insert(ctx, tok)
	default:
		err = t.insertRow(ctx, tok)
	}
	return t.s.wrap("tokens: create", err)
}

// insertRow inserts one row with its own statement.
func (t *Tokens) insertRow(ctx context.Context, tok Token) error {
	_, err := t.s.exec(ctx, `INSERT INTO tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		string(tok.Kind), hashSignature(tok.Signature), tok.RequestID, tok.ClientID, tok.Subject, tok.SessionID,
		tok.RequestedAt, tok.ExpiresAt, tok.Active, blob(tok.Request), hashSignature(tok.AccessSignature))
	return err
}

// Get returns the token of the kind with the raw signature, active or not
// (the provider tells a reused code from an unknown one by Active). Its
// Signature and AccessSignature are the stored hashes. A row past its
// ExpiresAt is returned until DeleteExpired removes it: the provider checks
// expiry. A missing row returns an error wrapping idp.ErrNotFound.
func (t *Tokens) Get(ctx context.Context, kind TokenKind, signature string) (Token, error) {
	var tok Token
	var k string
	err := t.s.q(ctx).queryRow(ctx, `SELECT `+tokenColumns+`, COALESCE(successor, $3)
		FROM tokens WHERE kind = $1 AND signature = $2`,
		string(kind), hashSignature(signature), []byte{}).Scan(&k, &tok.Signature, &tok.RequestID, &tok.ClientID,
		&tok.Subject, &tok.SessionID, &tok.RequestedAt, &tok.ExpiresAt, &tok.Active, &tok.Request,
		&tok.AccessSignature, &tok.Successor)
	tok.Kind, tok.Request, tok.Successor = TokenKind(k), orNil(tok.Request), orNil(tok.Successor)
	return tok, t.s.wrap("tokens: get", err)
}

// Delete removes the token, or returns an error wrapping idp.ErrNotFound.
func (t *Tokens) Delete(ctx context.Context, kind TokenKind, signature string) error {
	n, err := t.s.exec(ctx, `DELETE FROM tokens WHERE kind = $1 AND signature = $2`,
		string(kind), hashSignature(signature))
	return t.s.wrap("tokens: delete", affected(n, err))
}

// Deactivate marks an active token inactive with one conditional UPDATE
// whose affected-row count decides the outcome, so of any number of
// concurrent callers exactly one gets nil: this is what makes codes
// single-use (RFC 6749 §4.1.2) and refresh rotation race-free (RFC 9700
// §4.14.2), which fosite leaves to the store. The others get an error
// wrapping idp.ErrConflict when the token exists but was already inactive,
// or idp.ErrNotFound when it does not exist.
func (t *Tokens) Deactivate(ctx context.Context, kind TokenKind, signature string) error {
	hash := hashSignature(signature)
	n, err := t.s.exec(ctx, `UPDATE tokens SET active = false WHERE kind = $1 AND signature = $2 AND active`,
		string(kind), hash)
	if err != nil || n == 1 {
		return t.s.wrap("tokens: deactivate", err)
	}
	var active bool
	err = t.s.q(ctx).queryRow(ctx, `SELECT active FROM tokens WHERE kind = $1 AND signature = $2`,
		string(kind), hash).Scan(&active)
	if err == nil {
		err = fmt.Errorf("already inactive: %w", idp.ErrConflict)
	}
	return t.s.wrap("tokens: deactivate", err)
}

// SetSuccessor attaches successor to an inactive token, replacing any
// earlier one: the provider keeps there what a rotated refresh token was
// exchanged for. It returns an error wrapping idp.ErrNotFound when no
// inactive token of the kind has the signature, so an active token never
// carries one.
func (t *Tokens) SetSuccessor(ctx context.Context, kind TokenKind, signature string, successor []byte) error {
	n, err := t.s.exec(ctx, `UPDATE tokens SET successor = $3 WHERE kind = $1 AND signature = $2 AND NOT active`,
		string(kind), hashSignature(signature), blob(successor))
	return t.s.wrap("tokens: set successor", affected(n, err))
}

// DeleteByRequest removes every token of the kind issued for requestID (a
// grant's whole family), and reports how many.
func (t *Tokens) DeleteByRequest(ctx context.Context, kind TokenKind, requestID string) (int64, error) {
	n, err := t.s.exec(ctx, `DELETE FROM tokens WHERE kind = $1 AND request_id = $2`, string(kind), requestID)
	return n, t.s.wrap("tokens: delete by request", err)
}

// DeleteBySession removes every token of the kind issued through the
// provider session, and reports how many. The empty session ID matches
// nothing, so client-credentials tokens are never swept by it.
func (t *Tokens) DeleteBySession(ctx context.Context, kind TokenKind, sessionID string) (int64, error) {
	n, err := t.s.exec(ctx, `DELETE FROM tokens WHERE kind = $1 AND session_id = $2 AND session_id <> ''`,
		string(kind), sessionID)
	return n, t.s.wrap("tokens: delete by session", err)
}

// DeleteBySubject removes every token of the kind issued to the member
// subject, and reports how many: what a changed password does to refresh
// tokens. The empty subject matches nothing.
func (t *Tokens) DeleteBySubject(ctx context.Context, kind TokenKind, subject string) (int64, error) {
	n, err := t.s.exec(ctx, `DELETE FROM tokens WHERE kind = $1 AND subject = $2 AND subject <> ''`,
		string(kind), subject)
	return n, t.s.wrap("tokens: delete by subject", err)
}

// DeleteByClientSubject removes every token of the kind the client holds
// for the member subject, and reports how many: what revoking an app's
// access on the member's account page does. An empty client ID or subject
// matches nothing.
func (t *Tokens) DeleteByClientSubject(ctx context.Context, kind TokenKind, clientID, subject string) (int64, error) {
	n, err := t.s.exec(ctx, `DELETE FROM tokens WHERE kind = $1 AND client_id = $2 AND subject = $3
		AND client_id <> '' AND subject <> ''`, string(kind), clientID, subject)
	return n, t.s.wrap("tokens: delete by client and subject", err)
}

// DeleteExpired removes tokens of every kind whose ExpiresAt is at or
// before now (RFC 7519 §4.1.4: "on or after which" it must not be
// accepted), active or not, and reports how many.
func (t *Tokens) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := t.s.exec(ctx, `DELETE FROM tokens WHERE expires_at <= $1`, now)
	return n, t.s.wrap("tokens: delete expired", err)
}
