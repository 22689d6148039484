package provider

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	josev4 "github.com/go-jose/go-jose/v4"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// rsaBits is the size of generated signing keys.
const rsaBits = 2048

type signingKey struct {
	id       string
	private  *rsa.PrivateKey
	activeAt time.Time
}

// keyring holds the signing keys of the store, opened with the system
// secret. Every replica reads the same rows, so they all sign with the same
// key and publish the same JWKS; reload picks up keys rotated elsewhere.
type keyring struct {
	store  *storage.Store
	secret []byte
	now    func() time.Time
	log    *slog.Logger
	// retention is how long a superseded key stays published: the longest
	// lifetime of a token it may have signed.
	retention time.Duration

	mu     sync.RWMutex
	keys   []signingKey // newest activeAt first
	loaded time.Time
}

// newKeyKID names a key by its RFC 7638 thumbprint, so the kid is the same
// whichever replica or library computes it.
func newKeyKID(pub *rsa.PublicKey) (string, error) {
	tp, err := (&josev4.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// generateKey creates and seals a new RSA signing key.
func generateKey(secret []byte, now, activeAt time.Time) (idp.SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return idp.SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	kid, err := newKeyKID(&priv.PublicKey)
	if err != nil {
		return idp.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return idp.SigningKey{}, fmt.Errorf("encode signing key: %w", err)
	}
	sealed, err := seal(secret, der, []byte(kid))
	if err != nil {
		return idp.SigningKey{}, err
	}
	return idp.SigningKey{ID: kid, Algorithm: "RS256", Sealed: sealed, CreatedAt: now, ActiveAt: activeAt}, nil
}

// ErrWrongSecret means the system secret does not open a stored signing
// key: it is not the secret the key was sealed with.
var ErrWrongSecret = errors.New("the secret does not open the stored signing keys")

// ErrActiveKey means the key is the one every replica signs with now.
var ErrActiveKey = errors.New("the key is the active signing key")

// RotateKey adds a new signing key that replicas start signing with after
// activateAfter; the previous keys stay published until every token they
// signed has expired. Publishing the key before using it gives every
// replica time to reload, so no relying party sees a kid it cannot find.
//
// A key sealed with a different secret than the running replicas hold
// could never be used, and would stop the next start; so RotateKey first
// proves that secret opens every stored key (CheckSecret) and refuses with
// an error wrapping ErrWrongSecret otherwise.
func RotateKey(ctx context.Context, store *storage.Store, secret []byte, activateAfter time.Duration) (idp.SigningKey, error) {
	if len(secret) < 32 {
		return idp.SigningKey{}, errors.New("rotate key: secret must be at least 32 bytes")
	}
	if err := CheckSecret(ctx, store, secret); err != nil {
		return idp.SigningKey{}, fmt.Errorf("rotate key: %w", err)
	}
	now := time.Now().UTC()
	k, err := generateKey(secret, now, now.Add(activateAfter))
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
	var closed []string
	for _, row := range rows {
		if _, err := openKey(secret, row); err != nil {
			closed = append(closed, row.ID)
		}
	}
	if len(closed) > 0 {
		return fmt.Errorf("%w: it does not open %d of %d keys (%s)", ErrWrongSecret,
			len(closed), len(rows), strings.Join(closed, ", "))
	}
	return nil
}

// RemoveKey deletes the signing key id, which must not be the active one:
// without it no replica could sign. It is how an operator drops a key that
// cannot be opened or that leaked. Tokens the key signed stop verifying.
// Errors wrap idp.ErrNotFound for an unknown id and ErrActiveKey.
func RemoveKey(ctx context.Context, store *storage.Store, id string, now time.Time) error {
	return store.InTx(ctx, func(ctx context.Context) error {
		rows, err := store.Keys.List(ctx)
		if err != nil {
			return fmt.Errorf("remove key: %w", err)
		}
		i := slices.IndexFunc(rows, func(k idp.SigningKey) bool { return k.ID == id })
		if i < 0 {
			return fmt.Errorf("remove key %s: %w", id, idp.ErrNotFound)
		}
		if rows[activeIndex(rows, now, func(k idp.SigningKey) time.Time { return k.ActiveAt })].ID == id {
			return fmt.Errorf("remove key %s: %w; rotate in a new key and wait until it is active", id, ErrActiveKey)
		}
		if err := store.Keys.Delete(ctx, id); err != nil {
			return fmt.Errorf("remove key: %w", err)
		}
		return nil
	})
}

// activeIndex picks, from keys sorted newest activeAt first, the one to
// sign with at now: the newest whose time has come, or the oldest when
// every key is in the future.
func activeIndex[K any](keys []K, now time.Time, activeAt func(K) time.Time) int {
	for i, k := range keys {
		if !activeAt(k).After(now) {
			return i
		}
	}
	return len(keys) - 1
}

// ensure creates the first key when the store has none. Two replicas
// starting together on one database race here; InsertFirst lets exactly one
// win and both then load the winner's key.
func (k *keyring) ensure(ctx context.Context) error {
	keys, err := k.store.Keys.List(ctx)
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	if len(keys) == 0 {
		now := k.now().UTC()
		first, err := generateKey(k.secret, now, now)
		if err != nil {
			return err
		}
		if _, err := k.store.Keys.InsertFirst(ctx, first); err != nil {
			return fmt.Errorf("signing keys: %w", err)
		}
	}
	return k.reload(ctx)
}

// reload reads the keys from the store, opening only those not yet held.
// A key that does not open is skipped with an error naming it, so one bad
// row (a key rotated in with the wrong secret, say) does not stop the
// provider; only when the key that should sign now does not open is
// reload an error, since signing with another would hide the fault.
func (k *keyring) reload(ctx context.Context) error {
	rows, err := k.store.Keys.List(ctx)
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	if len(rows) == 0 {
		return errors.New("signing keys: none in the store")
	}
	k.mu.RLock()
	held := make(map[string]signingKey, len(k.keys))
	for _, sk := range k.keys {
		held[sk.id] = sk
	}
	k.mu.RUnlock()

	active := rows[activeIndex(rows, k.now(), func(r idp.SigningKey) time.Time { return r.ActiveAt })].ID
	keys := make([]signingKey, 0, len(rows))
	for _, row := range rows {
		if sk, ok := held[row.ID]; ok {
			keys = append(keys, sk)
			continue
		}
		priv, err := openKey(k.secret, row)
		if err != nil && row.ID == active {
			return fmt.Errorf("active signing key %s: %w", row.ID, err)
		}
		if err != nil {
			k.log.Error("signing key skipped: it does not open; remove it with idp keys remove",
				"kid", row.ID, "err", err)
			continue
		}
		keys = append(keys, signingKey{id: row.ID, private: priv, activeAt: row.ActiveAt})
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].activeAt.After(keys[j].activeAt) })
	k.mu.Lock()
	k.keys, k.loaded = keys, k.now()
	k.mu.Unlock()
	return nil
}

// openKey unseals and parses a stored key.
func openKey(secret []byte, row idp.SigningKey) (*rsa.PrivateKey, error) {
	der, err := unseal(secret, row.Sealed, []byte(row.ID))
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", row.ID, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not an RSA key", row.ID)
	}
	return priv, nil
}

// active is the key to sign with: the newest one whose time has come.
func (k *keyring) active() signingKey {
	now := k.now()
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[activeIndex(k.keys, now, func(sk signingKey) time.Time { return sk.activeAt })]
}

// published lists the keys relying parties may meet: keys not yet active,
// the active one, and each superseded key until every token it signed has
// expired (retention after the next key took over).
func (k *keyring) published() []signingKey {
	now := k.now()
	k.mu.RLock()
	defer k.mu.RUnlock()
	var out []signingKey
	for i, sk := range k.keys {
		if i == 0 || now.Sub(k.keys[i-1].activeAt) < k.retention {
			out = append(out, sk)
		}
	}
	return out
}

// byID finds a published key for verification.
func (k *keyring) byID(id string) (signingKey, bool) {
	for _, sk := range k.published() {
		if sk.id == id {
			return sk, true
		}
	}
	return signingKey{}, false
}
