package keys

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	josev4 "github.com/go-jose/go-jose/v4"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// rsaBits is the size of generated signing keys.
const rsaBits = 2048

// MinActivateAfter is the shortest delay between rotating a key in and
// signing with it: every replica must have reloaded its keys
// (ReloadInterval) and every relying party's cached JWKS must have expired
// (JWKSMaxAge) before the first token signed with the new key leaves, or
// that token would name a kid its verifier cannot find.
const MinActivateAfter = ReloadInterval + JWKSMaxAge

// ErrWrongSecret means the system secret does not open a stored signing
// key: it is not the secret the key was sealed with.
var ErrWrongSecret = errors.New("the secret does not open the stored signing keys")

// ErrActiveKey means the key is the one every replica signs with now.
var ErrActiveKey = errors.New("the key is the active signing key")

// ErrActivateTooSoon means a rotated key would sign before every replica
// and relying party could know it (see MinActivateAfter).
var ErrActivateTooSoon = fmt.Errorf("a new key must not sign sooner than %s after it is added", MinActivateAfter)

// Rotate adds a new signing key for algorithm alg (one of Algorithms),
// created at now, that replicas start signing with at now+activateAfter
// in place of the previous key of alg; the previous keys stay published
// until every token they signed has expired. Publishing the key before
// using it gives every replica time to reload, so no relying party sees a
// kid it cannot find: activateAfter below MinActivateAfter is refused with
// ErrActivateTooSoon.
//
// A key sealed with a different secret than the running replicas hold
// could never be used, and would stop the next start; so Rotate first
// proves that secret opens every stored key (CheckSecret) and refuses with
// an error wrapping ErrWrongSecret otherwise. Nothing is written on error.
func Rotate(ctx context.Context, store *storage.Store, secret []byte, alg string, now time.Time, activateAfter time.Duration) (idp.SigningKey, error) {
	if !Supported(alg) {
		return idp.SigningKey{}, fmt.Errorf("rotate key: algorithm %q: must be one of %s", alg, strings.Join(Algorithms, ", "))
	}
	if len(secret) < MinSecretLength {
		return idp.SigningKey{}, fmt.Errorf("rotate key: secret must be at least %d bytes", MinSecretLength)
	}
	if activateAfter < MinActivateAfter {
		return idp.SigningKey{}, fmt.Errorf("rotate key: activation after %s: %w", activateAfter, ErrActivateTooSoon)
	}
	if err := CheckSecret(ctx, store, secret); err != nil {
		return idp.SigningKey{}, fmt.Errorf("rotate key: %w", err)
	}
	now = now.UTC()
	k, err := generate(NewBox(secret, PurposeSealKeys), alg, now, now.Add(activateAfter))
	if err != nil {
		return idp.SigningKey{}, err
	}
	if err := store.Keys.Insert(ctx, k); err != nil {
		return idp.SigningKey{}, fmt.Errorf("rotate key: %w", err)
	}
	return k, nil
}

// CheckSecret returns nil when secret opens every stored signing key (or
// none is stored), else an error wrapping ErrWrongSecret that names the
// keys it does not open. Commands that write sealed material call it
// first.
func CheckSecret(ctx context.Context, store *storage.Store, secret []byte) error {
	rows, err := store.Keys.List(ctx)
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	box := NewBox(secret, PurposeSealKeys)
	var closed []string
	for _, row := range rows {
		if _, err := openKey(box, row); err != nil {
			closed = append(closed, row.ID)
		}
	}
	if len(closed) > 0 {
		return fmt.Errorf("%w: it does not open %d of %d keys (%s)", ErrWrongSecret,
			len(closed), len(rows), strings.Join(closed, ", "))
	}
	return nil
}

// Remove deletes the signing key id, which must not be the one of its
// algorithm active at now: without it no replica could sign with that
// algorithm. It is how an operator drops a key
// that cannot be opened or that leaked. Tokens the key signed stop
// verifying. Errors wrap idp.ErrNotFound for an unknown id and
// ErrActiveKey; the check and the delete are one transaction.
func Remove(ctx context.Context, store *storage.Store, id string, now time.Time) error {
	return store.InTx(ctx, func(ctx context.Context) error {
		rows, err := store.Keys.List(ctx)
		if err != nil {
			return fmt.Errorf("remove key: %w", err)
		}
		i := slices.IndexFunc(rows, func(k idp.SigningKey) bool { return k.ID == id })
		if i < 0 {
			return fmt.Errorf("remove key %s: %w", id, idp.ErrNotFound)
		}
		if activeIDs(rows, now)[id] {
			return fmt.Errorf("remove key %s: %w; rotate in a new key and wait until it is active", id, ErrActiveKey)
		}
		if err := store.Keys.Delete(ctx, id); err != nil {
			return fmt.Errorf("remove key: %w", err)
		}
		return nil
	})
}

// generate creates a new signing key for alg, sealed in box.
func generate(box *Box, alg string, now, activeAt time.Time) (idp.SigningKey, error) {
	priv, err := newPrivate(alg)
	if err != nil {
		return idp.SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return idp.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return idp.SigningKey{}, fmt.Errorf("encode signing key: %w", err)
	}
	return idp.SigningKey{ID: kid, Algorithm: alg, Sealed: box.Seal(der, []byte(kid)), CreatedAt: now, ActiveAt: activeAt}, nil
}

// thumbprint names a key by its RFC 7638 thumbprint, so the kid is the
// same whichever replica or library computes it.
func thumbprint(pub crypto.PublicKey) (string, error) {
	tp, err := (&josev4.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}
