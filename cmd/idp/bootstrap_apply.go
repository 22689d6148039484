package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
)

// applyBootstrapFile reads, validates and applies the bootstrap file at path.
func applyBootstrapFile(ctx context.Context, store *storage.Store, path string, log *slog.Logger) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read bootstrap file: %w", err)
	}
	b, err := parseBootstrap(path, data)
	if err != nil {
		return err
	}
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
		return fmt.Errorf("%s: %w", path, err)
	}
	log.Info("bootstrap applied", "file", path, "created", n.created, "updated", n.updated, "unchanged", n.unchanged)
	return nil
}

// bootstrapAttempts bounds the retries of a bootstrap that lost a race.
const bootstrapAttempts = 3

// bootstrapCounts says what applying a bootstrap file did.
type bootstrapCounts struct{ created, updated, unchanged int }

// applyBootstrap creates the clients and members of b that do not exist and
// updates those that differ, all in one transaction: either the whole file
// is applied or nothing is. It is idempotent: applied twice, the second run
// writes nothing, because a stored secret or password hash is kept whenever
// it still verifies against the value in the file. Members are matched by
// email. Nothing absent from the file is removed.
func applyBootstrap(ctx context.Context, store *storage.Store, b *bootstrap) (bootstrapCounts, error) {
	var n bootstrapCounts
	err := store.InTx(ctx, func(ctx context.Context) error {
		n = bootstrapCounts{}
		for _, e := range b.clients {
			if err := applyClient(ctx, store, e, &n); err != nil {
				return fmt.Errorf("%s: %w", e.label, err)
			}
		}
		for _, e := range b.members {
			if err := applyMember(ctx, store, e, &n); err != nil {
				return fmt.Errorf("%s: %w", e.label, err)
			}
		}
		return nil
	})
	return n, err
}

func applyClient(ctx context.Context, store *storage.Store, e bootstrapEntry[idp.Client], n *bootstrapCounts) error {
	want := e.value
	old, err := store.Clients.ByID(ctx, want.ID)
	if err != nil && !errors.Is(err, idp.ErrNotFound) {
		return err
	}
	exists := err == nil
	if want.SecretHash, err = keepOrHash(old.SecretHash, e.secret, clients.HashSecret); err != nil {
		return err
	}
	switch {
	case !exists:
		n.created++
		return store.Clients.Create(ctx, &want)
	case sameClient(old, want):
		n.unchanged++
		return nil
	}
	n.updated++
	return store.Clients.Update(ctx, want)
}

func applyMember(ctx context.Context, store *storage.Store, e bootstrapEntry[idp.Member], n *bootstrapCounts) error {
	want := e.value
	old, err := store.Members.ByEmail(ctx, want.Email)
	if err != nil && !errors.Is(err, idp.ErrNotFound) {
		return err
	}
	exists := err == nil
	if want.PasswordHash, err = keepOrHash(old.PasswordHash, e.secret, password.Hash); err != nil {
		return err
	}
	switch {
	case !exists:
		n.created++
		return store.Members.Create(ctx, &want)
	case old.Email == want.Email && old.Username == want.Username && old.Name == want.Name &&
		old.Role == want.Role && old.PasswordHash == want.PasswordHash:
		n.unchanged++
		return nil
	}
	want.ID = old.ID
	n.updated++
	return store.Members.Update(ctx, want)
}

// keepOrHash returns the hash to store for secret: the stored hash when it
// still verifies, so an unchanged file changes nothing, or a new one. An
// empty secret (a public client) has an empty hash.
func keepOrHash(stored, secret string, hash func(string) (string, error)) (string, error) {
	if secret == "" {
		return "", nil
	}
	if stored != "" {
		if ok, err := password.Verify(stored, secret); err == nil && ok {
			return stored, nil
		}
	}
	return hash(secret)
}

// sameClient reports whether two registrations agree on everything but
// their timestamps. A nil list equals an empty one.
func sameClient(a, b idp.Client) bool {
	return a.ID == b.ID && a.Name == b.Name && a.SecretHash == b.SecretHash &&
		slices.Equal(a.RedirectURIs, b.RedirectURIs) &&
		slices.Equal(a.PostLogoutRedirectURIs, b.PostLogoutRedirectURIs) &&
		slices.Equal(a.GrantTypes, b.GrantTypes) &&
		slices.Equal(a.ResponseTypes, b.ResponseTypes) &&
		slices.Equal(a.Scopes, b.Scopes) &&
		slices.Equal(a.Audience, b.Audience) &&
		a.TokenEndpointAuthMethod == b.TokenEndpointAuthMethod &&
		a.SkipConsent == b.SkipConsent &&
		a.AllowPlainOAuth == b.AllowPlainOAuth &&
		a.BackchannelLogoutURI == b.BackchannelLogoutURI &&
		a.Introspection == b.Introspection
}
