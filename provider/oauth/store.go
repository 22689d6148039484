package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	fstorage "github.com/ory/fosite/storage"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
)

// fositeStore implements fosite's storage interfaces over storage.Store.
// It owns the translation both ways: fosite requests to token rows, and
// store errors to the errors fosite's handlers act on (ErrNotFound,
// ErrInvalidatedAuthorizeCode, ErrInactiveToken, ErrSerializationFailure).
type fositeStore struct {
	store   *storage.Store
	clients *clientCache
	// successors, now and reuseInterval serve the refresh token reuse
	// interval (see successor). Kept answers hold live bearer tokens, so
	// they are sealed: the database alone must not reveal them.
	successors    *keys.Box
	now           func() time.Time
	reuseInterval time.Duration
	// parLifespan is how long a pushed request lives.
	parLifespan time.Duration
}

// Compile-time checks: compose only finds a missing method at run time.
var (
	_ fosite.Storage                     = (*fositeStore)(nil)
	_ oauth2.CoreStorage                 = (*fositeStore)(nil)
	_ oauth2.TokenRevocationStorage      = (*fositeStore)(nil)
	_ openid.OpenIDConnectRequestStorage = (*fositeStore)(nil)
	_ pkce.PKCERequestStorage            = (*fositeStore)(nil)
	_ fstorage.Transactional             = (*fositeStore)(nil)
)

// storedRequest is the serialised form of a fosite request. Client and
// Session are interfaces in fosite, so they are stored by reference (client
// id) and as the concrete session's JSON.
type storedRequest struct {
	ID                string          `json:"id"`
	RequestedAt       time.Time       `json:"requested_at"`
	ClientID          string          `json:"client_id"`
	RequestedScope    []string        `json:"requested_scope"`
	GrantedScope      []string        `json:"granted_scope"`
	RequestedAudience []string        `json:"requested_audience"`
	GrantedAudience   []string        `json:"granted_audience"`
	Form              url.Values      `json:"form"`
	Session           json.RawMessage `json:"session"`
}

func (s *fositeStore) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := s.clients.get(ctx, id)
	if errors.Is(err, idp.ErrNotFound) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return Client{c}, nil
}

// ClientAssertionJWTValid and SetClientAssertionJWT serve private_key_jwt
// client authentication, which this provider does not offer.
func (s *fositeStore) ClientAssertionJWTValid(context.Context, string) error { return nil }
func (s *fositeStore) SetClientAssertionJWT(context.Context, string, time.Time) error {
	return nil
}

func (s *fositeStore) create(ctx context.Context, kind storage.TokenKind, signature, accessSignature string, r fosite.Requester, expiry fosite.TokenType) error {
	sess, _ := r.GetSession().(*Session)
	if sess == nil {
		return fmt.Errorf("store %s: unexpected session type %T", kind, r.GetSession())
	}
	raw, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("store %s: encode session: %w", kind, err)
	}
	req, err := json.Marshal(storedRequest{
		ID: r.GetID(), RequestedAt: r.GetRequestedAt(), ClientID: r.GetClient().GetID(),
		RequestedScope: r.GetRequestedScopes(), GrantedScope: r.GetGrantedScopes(),
		RequestedAudience: r.GetRequestedAudience(), GrantedAudience: r.GetGrantedAudience(),
		Form: r.GetRequestForm(), Session: raw,
	})
	if err != nil {
		return fmt.Errorf("store %s: encode request: %w", kind, err)
	}
	exp := sess.GetExpiresAt(expiry)
	if exp.IsZero() {
		exp = r.GetRequestedAt().Add(24 * time.Hour)
	}
	return s.store.Tokens.Create(ctx, storage.Token{
		Kind: kind, Signature: signature, AccessSignature: accessSignature,
		RequestID: r.GetID(), ClientID: r.GetClient().GetID(), Subject: sess.GetSubject(),
		SessionID: sess.SessionID, RequestedAt: r.GetRequestedAt(), ExpiresAt: exp,
		Active: true, Request: req,
		// A client-credentials access token is a self-contained signed JWT;
		// its row only serves introspection and revocation. Losing the row
		// in a database crash makes introspection answer "inactive", which
		// fails closed, so the row need not wait for the disk.
		Volatile: kind == storage.KindAccess && sess.ClientCredentials,
	})
}

// get loads a token row and rebuilds the request, hydrating into the
// session fosite passes (or a fresh one when it passes nil, as revocation
// does). An inactive row is returned together with its request, since
// fosite needs the request to revoke the family.
func (s *fositeStore) get(ctx context.Context, kind storage.TokenKind, signature string, into fosite.Session) (*fosite.Request, bool, error) {
	t, err := s.store.Tokens.Get(ctx, kind, signature)
	if errors.Is(err, idp.ErrNotFound) {
		return nil, false, fosite.ErrNotFound
	}
	if err != nil {
		return nil, false, err
	}
	var sr storedRequest
	if err := json.Unmarshal(t.Request, &sr); err != nil {
		return nil, false, fmt.Errorf("load %s: decode request: %w", kind, err)
	}
	if into == nil {
		into = NewSession()
	}
	if err := json.Unmarshal(sr.Session, into); err != nil {
		return nil, false, fmt.Errorf("load %s: decode session: %w", kind, err)
	}
	if s, ok := into.(*Session); ok && s.Claims != nil {
		integral(s.Claims.Extra)
	}
	c, err := s.GetClient(ctx, sr.ClientID)
	if err != nil {
		return nil, false, fmt.Errorf("load %s: client: %w", kind, err)
	}
	return &fosite.Request{
		ID: sr.ID, RequestedAt: sr.RequestedAt, Client: c,
		RequestedScope: sr.RequestedScope, GrantedScope: sr.GrantedScope,
		RequestedAudience: sr.RequestedAudience, GrantedAudience: sr.GrantedAudience,
		Form: sr.Form, Session: into,
	}, t.Active, nil
}

func (s *fositeStore) delete(ctx context.Context, kind storage.TokenKind, signature string) error {
	err := s.store.Tokens.Delete(ctx, kind, signature)
	if errors.Is(err, idp.ErrNotFound) {
		return fosite.ErrNotFound
	}
	return err
}

// deactivate maps a lost race to ErrSerializationFailure: fosite then
// answers the loser with an error and rolls back (fosite issue #778).
func (s *fositeStore) deactivate(ctx context.Context, kind storage.TokenKind, signature string) error {
	err := s.store.Tokens.Deactivate(ctx, kind, signature)
	switch {
	case errors.Is(err, idp.ErrNotFound):
		return fosite.ErrNotFound
	case errors.Is(err, idp.ErrConflict):
		return fosite.ErrSerializationFailure
	}
	return err
}

func (s *fositeStore) CreateAuthorizeCodeSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.create(ctx, storage.KindCode, code, "", r, fosite.AuthorizeCode)
}

// GetAuthorizeCodeSession returns a redeemed code's request together with
// ErrInvalidatedAuthorizeCode, so fosite revokes every token issued from
// the first redemption (RFC 6749 §4.1.2).
func (s *fositeStore) GetAuthorizeCodeSession(ctx context.Context, code string, into fosite.Session) (fosite.Requester, error) {
	r, active, err := s.get(ctx, storage.KindCode, code, into)
	if err != nil {
		return nil, err
	}
	if !active {
		return r, fosite.ErrInvalidatedAuthorizeCode
	}
	return r, nil
}

func (s *fositeStore) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	return s.deactivate(ctx, storage.KindCode, code)
}

func (s *fositeStore) CreateAccessTokenSession(ctx context.Context, signature string, r fosite.Requester) error {
	return s.create(ctx, storage.KindAccess, signature, "", r, fosite.AccessToken)
}

func (s *fositeStore) GetAccessTokenSession(ctx context.Context, signature string, into fosite.Session) (fosite.Requester, error) {
	r, active, err := s.get(ctx, storage.KindAccess, signature, into)
	if err != nil {
		return nil, err
	}
	if !active {
		return r, fosite.ErrInactiveToken
	}
	return r, nil
}

func (s *fositeStore) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return s.delete(ctx, storage.KindAccess, signature)
}

func (s *fositeStore) CreateRefreshTokenSession(ctx context.Context, signature, accessSignature string, r fosite.Requester) error {
	return s.create(ctx, storage.KindRefresh, signature, accessSignature, r, fosite.RefreshToken)
}

// GetRefreshTokenSession returns a rotated token's request together with
// ErrInactiveToken: fosite treats that as reuse and revokes the family.
// A token rotated within the reuse interval returns *Replay instead,
// which leaves the family alone.
func (s *fositeStore) GetRefreshTokenSession(ctx context.Context, signature string, into fosite.Session) (fosite.Requester, error) {
	r, active, err := s.get(ctx, storage.KindRefresh, signature, into)
	if err != nil {
		return nil, err
	}
	if !active {
		succ, err := s.replayable(ctx, signature)
		if err != nil {
			return nil, err
		}
		if succ != nil {
			return nil, &Replay{succ}
		}
		return r, fosite.ErrInactiveToken
	}
	return r, nil
}

func (s *fositeStore) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return s.delete(ctx, storage.KindRefresh, signature)
}

// RotateRefreshToken retires the presented refresh token (exactly one of
// two concurrent rotations wins) and drops the family's access tokens.
func (s *fositeStore) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	if err := s.deactivate(ctx, storage.KindRefresh, signature); err != nil {
		return err
	}
	_, err := s.store.Tokens.DeleteByRequest(ctx, storage.KindAccess, requestID)
	return err
}

func (s *fositeStore) RevokeRefreshToken(ctx context.Context, requestID string) error {
	_, err := s.store.Tokens.DeleteByRequest(ctx, storage.KindRefresh, requestID)
	return err
}

func (s *fositeStore) RevokeAccessToken(ctx context.Context, requestID string) error {
	_, err := s.store.Tokens.DeleteByRequest(ctx, storage.KindAccess, requestID)
	return err
}

func (s *fositeStore) CreateOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.create(ctx, storage.KindOIDC, code, "", r, fosite.AuthorizeCode)
}

func (s *fositeStore) GetOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) (fosite.Requester, error) {
	req, _, err := s.get(ctx, storage.KindOIDC, code, r.GetSession())
	if err != nil {
		return nil, err
	}
	return req, nil
}

func (s *fositeStore) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	return s.delete(ctx, storage.KindOIDC, code)
}

func (s *fositeStore) CreatePKCERequestSession(ctx context.Context, signature string, r fosite.Requester) error {
	return s.create(ctx, storage.KindPKCE, signature, "", r, fosite.AuthorizeCode)
}

func (s *fositeStore) GetPKCERequestSession(ctx context.Context, signature string, into fosite.Session) (fosite.Requester, error) {
	req, _, err := s.get(ctx, storage.KindPKCE, signature, into)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DeletePKCERequestSession keeps the record: fosite calls it before it
// checks the verifier, and a record dropped then would let the next request
// redeem the code without one. The challenge lives as long as its code and
// leaves with it when expired rows are swept.
func (s *fositeStore) DeletePKCERequestSession(context.Context, string) error { return nil }

func (s *fositeStore) BeginTX(ctx context.Context) (context.Context, error) {
	return s.store.Begin(ctx)
}

// Commit maps a serialisation failure at commit to fosite's error, so the
// loser of a race gets a protocol error rather than a server error.
func (s *fositeStore) Commit(ctx context.Context) error {
	if err := s.store.Commit(ctx); err != nil {
		if errors.Is(err, idp.ErrConflict) {
			return fosite.ErrSerializationFailure
		}
		return err
	}
	return nil
}

func (s *fositeStore) Rollback(ctx context.Context) error { return s.store.Rollback(ctx) }

// integral turns whole float64 claims back into integers: JSON decoding
// made every number a float, and go-jose would sign updated_at as
// 1.795e+09 rather than as the integer OpenID Connect Core §5.1 asks for.
func integral(m map[string]interface{}) {
	for k, v := range m {
		if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			m[k] = int64(f)
		}
	}
}
