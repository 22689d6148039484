// Package audit records the provider's security events: each one is
// appended to the store's trail in the caller's transaction, written to the
// log, and handed to observers (metrics) once it is committed.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// Log records audit events. It is safe for concurrent use.
type Log struct {
	store *storage.Store
	log   *slog.Logger
	now   func() time.Time

	mu        sync.RWMutex
	observers []func(idp.AuditEvent)
}

// New returns a Log writing to store and logger, stamping events with now.
func New(store *storage.Store, logger *slog.Logger, now func() time.Time) *Log {
	return &Log{store: store, log: logger, now: now}
}

// Observe registers fn to be called with every recorded event once it is
// committed (see Record). fn runs on the recording goroutine, so it must
// be quick and must not record events itself.
func (l *Log) Observe(fn func(idp.AuditEvent)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observers = append(l.observers, fn)
}

// Record appends e to the trail, with the transaction ctx carries if any,
// so the event commits or rolls back with the change it describes. An
// empty ID is filled by the store, a zero Time from the Log's clock.
// Detail entries whose key names a secret (see Secret) are dropped at any
// depth, and a Detail whose encoding exceeds storage.MaxAuditDetail is
// replaced by its sorted keys and {"truncated": true}: an oversized change
// is still recorded rather than failing the change.
//
// The log line and the observers follow the commit (storage's
// AfterCommit), or the append when ctx carries no transaction: a rolled
// back change is neither logged as done nor counted. An error from the
// store is returned wrapped; the caller's transaction should then fail.
func (l *Log) Record(ctx context.Context, e idp.AuditEvent) error {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Detail = bounded(scrub(e.Detail))
	if err := l.store.Audit.Append(ctx, &e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Type, err)
	}
	l.store.AfterCommit(ctx, func() { l.publish(e) })
	return nil
}

// publish writes the event's log line and tells the observers.
func (l *Log) publish(e idp.AuditEvent) {
	keys := make([]string, 0, len(e.Detail))
	for k := range e.Detail {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	l.log.Info("audit", "event", string(e.Type), "id", e.ID, "actor", e.Actor, "member_id", e.MemberID,
		"client_id", e.ClientID, "session_id", e.SessionID, "address", e.Address, "detail_keys", keys)
	l.mu.RLock()
	observers := l.observers
	l.mu.RUnlock()
	for _, fn := range observers {
		fn(e)
	}
}

// scrub returns a copy of detail without the entries whose key names a
// secret, in nested maps too, so a caller's slip never stores one. The
// one exception is SecretsChanged holding a list of names (what Changes
// writes): it says which secrets changed, never their values.
func scrub(detail map[string]any) map[string]any {
	if len(detail) == 0 {
		return nil
	}
	out := make(map[string]any, len(detail))
	for k, v := range detail {
		if _, names := v.([]string); k == SecretsChanged && names {
			out[k] = v
			continue
		}
		if Secret(k) {
			continue
		}
		if m, ok := v.(map[string]any); ok {
			v = scrub(m)
		}
		out[k] = v
	}
	return out
}

// bounded returns detail, or, when its JSON encoding would exceed
// storage.MaxAuditDetail or fails, the record that it was cut: its keys.
func bounded(detail map[string]any) map[string]any {
	if len(detail) == 0 {
		return nil
	}
	b, err := json.Marshal(detail)
	if err == nil && len(b) <= storage.MaxAuditDetail {
		return detail
	}
	keys := make([]string, 0, len(detail))
	for k := range detail {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cut := map[string]any{"truncated": true, "keys": keys}
	if b, err := json.Marshal(cut); err != nil || len(b) > storage.MaxAuditDetail {
		return map[string]any{"truncated": true}
	}
	return cut
}
