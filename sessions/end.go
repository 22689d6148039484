// Package sessions ends provider sessions and delivers the back-channel
// logouts (OpenID Connect Back-Channel Logout 1.0) that ending them owes.
// It sits below the HTTP layer, so the provider, the command line and an
// admin API end sessions alike: every dependency (store, logger, clock,
// issuer, signing function) is passed in, none is reached through the
// provider.
package sessions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// End ends provider sessions in one transaction (joining the one ctx
// carries): each row goes, the refresh tokens issued in it are revoked
// when revokeRefresh is set, and a back-channel logout (OpenID Connect
// Back-Channel Logout 1.0 §2.5) is queued in the outbox for every client
// that took part and registered a URI. Queuing with the end makes the
// logout owed exactly when the session has ended; a running Notifier
// delivers it, however the session was ended. A session already gone is
// skipped, so of two concurrent ends only one queues deliveries.
func End(ctx context.Context, store *storage.Store, sessions []idp.Session, revokeRefresh bool) error {
	err := store.InTx(ctx, func(ctx context.Context) error {
		for _, s := range sessions {
			if err := end(ctx, store, s, revokeRefresh); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

func end(ctx context.Context, store *storage.Store, s idp.Session, revokeRefresh bool) error {
	clientIDs, err := store.Sessions.Clients(ctx, s.ID)
	if err != nil {
		return err
	}
	if revokeRefresh {
		if _, err := store.Tokens.DeleteBySession(ctx, storage.KindRefresh, s.ID); err != nil {
			return err
		}
	}
	err = store.Sessions.Delete(ctx, s.ID)
	if errors.Is(err, idp.ErrNotFound) { // ended concurrently
		return nil
	}
	if err != nil {
		return err
	}
	for _, id := range clientIDs {
		c, err := store.Clients.ByID(ctx, id)
		if errors.Is(err, idp.ErrNotFound) || (err == nil && c.BackchannelLogoutURI == "") {
			continue
		}
		if err != nil {
			return err
		}
		d := idp.LogoutDelivery{ClientID: c.ID, URI: c.BackchannelLogoutURI, MemberID: s.MemberID, SessionID: s.ID}
		if err := store.Outbox.Add(ctx, &d); err != nil {
			return err
		}
	}
	return nil
}

// EndMember ends every session of the member (see End) and revokes all
// their refresh tokens, in one transaction joining the one ctx carries:
// what a changed password calls for, since whoever knew the old one may
// hold either. It reports how many sessions ended.
func EndMember(ctx context.Context, store *storage.Store, memberID string) (int, error) {
	var n int
	err := store.InTx(ctx, func(ctx context.Context) error {
		sessions, err := store.Sessions.ByMember(ctx, memberID)
		if err != nil {
			return err
		}
		if err := End(ctx, store, sessions, true); err != nil {
			return err
		}
		n = len(sessions)
		_, err = store.Tokens.DeleteBySubject(ctx, storage.KindRefresh, memberID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("end member's sessions: %w", err)
	}
	return n, nil
}

// Bounds of one EndIdle call: a cleanup pass ends at most
// idleBatch·idleMaxBatches sessions, so a backlog (a provider down for
// days) is worked off over several passes instead of one long one.
const idleBatch, idleMaxBatches = 100, 50

// EndIdle ends, in bounded batches, the sessions nobody will use again:
// past their lifetime at now, or unused since now-idleTimeout. Each goes
// through endOne, which ends it as a logout would (End, then waking the
// Notifier), so their clients hear of it. It stops at the first error.
func EndIdle(ctx context.Context, store *storage.Store, now time.Time, idleTimeout time.Duration,
	endOne func(context.Context, idp.Session) error) error {
	for range idleMaxBatches {
		ended, err := store.Sessions.Ended(ctx, now, now.Add(-idleTimeout), idleBatch)
		if err != nil {
			return fmt.Errorf("list ended sessions: %w", err)
		}
		for _, s := range ended {
			if err := endOne(ctx, s); err != nil {
				return fmt.Errorf("end expired session: %w", err)
			}
		}
		if len(ended) < idleBatch {
			return nil
		}
	}
	return nil
}
