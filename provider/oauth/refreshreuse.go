package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// Successor is the answer a refresh token was rotated into.
//
// A rotated refresh token may be presented again by a client that lost the
// answer (a dropped connection, a provider killed after the commit) or
// refreshed twice at once. With Config.RefreshReuseInterval set, the
// rotation keeps its answer, sealed, on the rotated token's row, in the
// rotation's transaction; the same client presenting the rotated token
// within the interval gets that answer again and the family lives on (RFC
// 9700 §4.14.2). Any other presentation is reuse: after the interval the
// family is revoked as without an interval, and another client gets
// invalid_grant (RFC 6749 §6: a refresh token is bound to its Client).
type Successor struct {
	ClientID string         `json:"client_id"`
	IssuedAt time.Time      `json:"issued_at"`
	Response map[string]any `json:"response"`
}

// Replay is returned by GetRefreshTokenSession (so by fosite's
// NewAccessRequest) and by RotateKeeping for a token rotated within the
// reuse interval, instead of fosite.ErrInactiveToken, which would make
// fosite revoke the family. The token endpoint answers it with the kept
// Successor.
type Replay struct{ *Successor }

func (e *Replay) Error() string { return "refresh token rotated within the reuse interval" }

// successorAAD binds a sealed answer to the row of the token it replaced,
// so answers cannot be moved between rows.
func successorAAD(signature string) []byte { return []byte("refresh successor\x00" + signature) }

// replayable returns the answer the refresh token with this signature was
// rotated into, if that happened less than the reuse interval ago; nil
// otherwise (no interval, an active or unknown token, a rotation from
// before the interval, or an answer that does not open with this secret).
func (s *fositeStore) replayable(ctx context.Context, signature string) (*Successor, error) {
	if s.reuseInterval <= 0 {
		return nil, nil
	}
	t, err := s.store.Tokens.Get(ctx, storage.KindRefresh, signature)
	if errors.Is(err, idp.ErrNotFound) {
		return nil, nil
	}
	if err != nil || t.Active || t.Successor == nil {
		return nil, err
	}
	plain, err := s.successors.Open(t.Successor, successorAAD(signature))
	if err != nil {
		return nil, nil // sealed under another system secret: treat as reuse
	}
	var succ Successor
	if err := json.Unmarshal(plain, &succ); err != nil {
		return nil, fmt.Errorf("decode refresh successor: %w", err)
	}
	if s.now().Sub(succ.IssuedAt) >= s.reuseInterval {
		return nil, nil
	}
	return &succ, nil
}

// keep seals the answer a rotation produced onto the rotated token's row.
// ctx carries the rotation's transaction.
func (s *fositeStore) keep(ctx context.Context, signature string, succ Successor) error {
	plain, err := json.Marshal(succ)
	if err != nil {
		return fmt.Errorf("encode refresh successor: %w", err)
	}
	sealed := s.successors.Seal(plain, successorAAD(signature))
	return s.store.Tokens.SetSuccessor(ctx, storage.KindRefresh, signature, sealed)
}

// RotateKeeping runs the rotation fosite performs in NewAccessResponse and
// keeps its answer on the rotated row, all in one transaction, so a
// concurrent presentation of the same token either loses the rotation race
// and finds the answer, or sees the token still active. also, when not
// nil, runs last in that transaction (the audit event of the issuance).
func (e *Engine) RotateKeeping(ctx context.Context, ar fosite.AccessRequester, also func(context.Context) error) (fosite.AccessResponder, error) {
	signature := e.refreshSignature(ctx, ar.GetRequestForm().Get("refresh_token"))
	var resp fosite.AccessResponder
	err := e.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if resp, err = e.NewAccessResponse(ctx, ar); err != nil {
			return err
		}
		err = e.store.keep(ctx, signature, Successor{
			ClientID: ar.GetClient().GetID(), IssuedAt: e.cfg.Now().UTC(), Response: resp.ToMap(),
		})
		if err != nil || also == nil {
			return err
		}
		return also(ctx)
	})
	if errors.Is(err, fosite.ErrSerializationFailure) {
		// Another presentation rotated the token first, and committed its
		// answer with the rotation.
		succ, rerr := e.store.replayable(ctx, signature)
		if rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		if succ != nil {
			return nil, &Replay{succ}
		}
	}
	return resp, err
}
