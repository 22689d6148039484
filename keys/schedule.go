package keys

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// ScheduleCheckInterval is how often a replica looks whether a key is due
// for rotation or removal. Rotation intervals are hours or more, so a few
// minutes late is harmless; a check that finds nothing due writes nothing.
const ScheduleCheckInterval = 5 * time.Minute

// MinRotationInterval is the shortest Schedule.Interval: a key must sign
// for a while before the next one is added, or the JWKS would only grow.
const MinRotationInterval = time.Hour

// scheduleLock names the store lease that lets one replica at a time run
// the schedule; scheduleLease bounds how long a replica that died while
// holding it blocks the others.
const (
	scheduleLock  = "keys.schedule"
	scheduleLease = 5 * time.Minute
)

// Recorder writes audit events in the transaction of its context
// (audit.Log does).
type Recorder interface {
	Record(ctx context.Context, e idp.AuditEvent) error
}

// Schedule rotates the signing keys of every algorithm on an interval and
// removes the keys no unexpired token can name, for --key-rotation-interval. Every replica
// runs it; a lease in the store lets one of them act at a time, so
// replicas never add two keys for one rotation.
type Schedule struct {
	Store  *storage.Store
	Secret []byte
	// Interval is how long a key signs before the next one is added.
	Interval time.Duration
	// ActivateAfter is how long after it is added a key starts signing
	// (MinActivateAfter when zero; Rotate refuses less).
	ActivateAfter time.Duration
	// Retention is how long a superseded key stays: the longest lifetime of
	// a token it may have signed plus a margin, the Ring's Retention.
	Retention time.Duration
	// Holder names this replica in the lease (a random name when empty).
	Holder string
	// Audit, when set, records key.rotated and key.removed in the
	// transaction that makes the change.
	Audit Recorder
	// Log, when set, gets a line per rotation and removal.
	Log *slog.Logger
}

// ScheduleResult is what one Run did.
type ScheduleResult struct {
	Rotated []idp.SigningKey // the keys added, at most one per algorithm
	Removed []string         // IDs of the keys removed
	// Busy means something was due but another replica held the lease.
	Busy bool
}

// Validate reports every setting of s that would make Run misbehave,
// naming it.
func (s Schedule) Validate() error {
	var errs []error
	if s.Interval < MinRotationInterval {
		errs = append(errs, fmt.Errorf("key rotation interval %s: must be at least %s", s.Interval, MinRotationInterval))
	}
	if s.ActivateAfter != 0 && s.ActivateAfter < MinActivateAfter {
		errs = append(errs, fmt.Errorf("key activation delay %s: %w", s.ActivateAfter, ErrActivateTooSoon))
	}
	if s.Retention <= 0 {
		errs = append(errs, errors.New("key retention: must be positive (the longest token lifetime plus a margin)"))
	}
	return errors.Join(errs...)
}

// Run does at now what is due: for each algorithm whose newest key has
// been active for Interval or longer (and no next key waits), it adds the
// next key of that algorithm, signing from now+ActivateAfter (Rotate,
// which proves the secret first);
// and it removes the keys Expired at now with Retention. It first looks
// without writing, and acts only while holding the store lease, re-reading
// the keys under it, so of replicas running at once exactly one acts.
// Each change and its audit event are one transaction.
func (s Schedule) Run(ctx context.Context, now time.Time) (ScheduleResult, error) {
	var res ScheduleResult
	if err := s.Validate(); err != nil {
		return res, fmt.Errorf("key schedule: %w", err)
	}
	if due, err := s.due(ctx, now); err != nil || !due {
		return res, err
	}
	holder := s.Holder
	if holder == "" {
		holder = randomHolder()
	}
	ok, err := s.Store.Locks.Acquire(ctx, scheduleLock, holder, now, now.Add(scheduleLease))
	if err != nil {
		return res, fmt.Errorf("key schedule: %w", err)
	}
	if !ok {
		res.Busy = true
		return res, nil
	}
	defer func() {
		if err := s.Store.Locks.Release(context.WithoutCancel(ctx), scheduleLock, holder); err != nil && s.Log != nil {
			s.Log.Warn("key schedule: release lease; it ends by itself", "err", err)
		}
	}()
	list, err := s.Store.Keys.List(ctx)
	if err != nil {
		return res, fmt.Errorf("key schedule: %w", err)
	}
	for _, alg := range s.rotationDue(list, now) {
		k, err := s.rotate(ctx, alg, now)
		if err != nil {
			return res, err
		}
		res.Rotated = append(res.Rotated, k)
	}
	for _, k := range Expired(list, now, s.Retention) {
		if err := s.remove(ctx, k, now); err != nil {
			return res, err
		}
		res.Removed = append(res.Removed, k.ID)
	}
	return res, nil
}

// due reports, without writing, whether Run has anything to do.
func (s Schedule) due(ctx context.Context, now time.Time) (bool, error) {
	list, err := s.Store.Keys.List(ctx)
	if err != nil {
		return false, fmt.Errorf("key schedule: %w", err)
	}
	return len(s.rotationDue(list, now)) > 0 || len(Expired(list, now, s.Retention)) > 0, nil
}

// rotationDue lists the algorithms whose newest key (list is newest
// ActiveAt first) has signed for Interval, in the order of Algorithms. A
// newest key still waiting to sign is the next key: none is due. An
// algorithm without keys is Load's to fill.
func (s Schedule) rotationDue(list []idp.SigningKey, now time.Time) []string {
	groups := byAlgorithm(list, func(k idp.SigningKey) string { return k.Algorithm })
	var due []string
	for _, alg := range Algorithms {
		if g := groups[alg]; len(g) > 0 && now.Sub(g[0].ActiveAt) >= s.Interval {
			due = append(due, alg)
		}
	}
	return due
}

func (s Schedule) rotate(ctx context.Context, alg string, now time.Time) (idp.SigningKey, error) {
	after := max(s.ActivateAfter, MinActivateAfter)
	var k idp.SigningKey
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if k, err = Rotate(ctx, s.Store, s.Secret, alg, now, after); err != nil {
			return err
		}
		return s.record(ctx, idp.AuditEvent{Time: now, Type: idp.AuditKeyRotated, Actor: idp.ActorSystem,
			Detail: map[string]any{"kid": k.ID, "alg": k.Algorithm, "active_at": k.ActiveAt.Format(time.RFC3339)}})
	})
	if err != nil {
		return idp.SigningKey{}, fmt.Errorf("key schedule: %w", err)
	}
	if s.Log != nil {
		s.Log.Info("signing key rotated", "kid", k.ID, "alg", k.Algorithm, "active_at", k.ActiveAt)
	}
	return k, nil
}

func (s Schedule) remove(ctx context.Context, k idp.SigningKey, now time.Time) error {
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := Remove(ctx, s.Store, k.ID, now); err != nil {
			return err
		}
		return s.record(ctx, idp.AuditEvent{Time: now, Type: idp.AuditKeyRemoved, Actor: idp.ActorSystem,
			Detail: map[string]any{"kid": k.ID, "reason": "retired"}})
	})
	if err != nil {
		return fmt.Errorf("key schedule: %w", err)
	}
	if s.Log != nil {
		s.Log.Info("retired signing key removed", "kid", k.ID)
	}
	return nil
}

func (s Schedule) record(ctx context.Context, e idp.AuditEvent) error {
	if s.Audit == nil {
		return nil
	}
	return s.Audit.Record(ctx, e)
}

func randomHolder() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
