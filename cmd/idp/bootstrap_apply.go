package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/mfa"
	"github.com/idp/idp/storage"
)

// applyBootstrapFile reads, validates and applies the bootstrap file at
// path. It returns the front pages of the demo apps the file registers,
// if any (see bootstrap.demoApps).
func applyBootstrapFile(ctx context.Context, store *storage.Store, path string, secret []byte, log *slog.Logger) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read bootstrap file: %w", err)
	}
	b, err := parseBootstrap(path, data)
	if err != nil {
		return nil, err
	}
	b.factors = mfa.New(store, secret, "", nil)
	// Replicas starting together apply the same file at once; the loser of
	// a race sees a conflict, and on a retry finds the rows in place.
	var n bootstrapCounts
	for attempt := 1; ; attempt++ {
		n, err = applyBootstrap(ctx, store, b)
		if err == nil || !errors.Is(err, idp.ErrConflict) || attempt == bootstrapAttempts {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	log.Info("bootstrap applied", "file", path, "created", n.created, "updated", n.updated, "unchanged", n.unchanged)
	return b.demoApps, nil
}

// bootstrapAttempts bounds the retries of a bootstrap that lost a race.
const bootstrapAttempts = 3

// bootstrapCounts says what applying a bootstrap file did.
type bootstrapCounts struct{ created, updated, unchanged int }

// count records what one create-or-update did.
func (n *bootstrapCounts) count(c idp.Change) {
	switch c {
	case idp.Created:
		n.created++
	case idp.Updated:
		n.updated++
	default:
		n.unchanged++
	}
}

// applyBootstrap creates the clients and members of b that do not exist and
// updates those that differ, all in one transaction: either the whole file
// is applied or nothing is. It is idempotent (see clients.Upsert and
// members.Service.Upsert): applied twice, the second run writes nothing.
// Members are matched by email. Nothing absent from the file is removed.
func applyBootstrap(ctx context.Context, store *storage.Store, b *bootstrap) (bootstrapCounts, error) {
	var n bootstrapCounts
	svc := memberService(store)
	err := store.InTx(ctx, func(ctx context.Context) error {
		n = bootstrapCounts{}
		for _, e := range b.clients {
			c, err := clients.Upsert(ctx, store, e.value, e.secret)
			if err != nil {
				return fmt.Errorf("%s: %w", e.label, err)
			}
			n.count(c)
		}
		for _, e := range b.members {
			c, err := svc.Upsert(ctx, e.value, e.secret)
			if err != nil {
				return fmt.Errorf("%s: %w", e.label, err)
			}
			if e.totp != "" {
				changed, err := b.setTOTP(ctx, store, e.value.Email, e.totp)
				if err != nil {
					return fmt.Errorf("%s: totp_secret: %w", e.label, err)
				}
				if changed && c == idp.Unchanged {
					c = idp.Updated
				}
			}
			n.count(c)
		}
		return nil
	})
	return n, err
}

// setTOTP gives the member with email the confirmed TOTP secret, unless
// they have it already, and reports whether it changed anything.
func (b *bootstrap) setTOTP(ctx context.Context, store *storage.Store, email, secret string) (bool, error) {
	if b.factors == nil {
		return false, errors.New("needs the system secret to seal it")
	}
	m, err := store.Members.ByEmail(ctx, email)
	if err != nil {
		return false, err
	}
	if has, err := b.factors.HasSecret(ctx, m.ID, secret); err != nil || has {
		return false, err
	}
	return true, b.factors.SetSecret(ctx, m.ID, secret)
}
