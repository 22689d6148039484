package keys

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	josev4 "github.com/go-jose/go-jose/v4"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// ReloadInterval is how often a replica looks for keys rotated by
// another.
const ReloadInterval = 30 * time.Second

// JWKSMaxAge is how long relying parties may cache the published JWKS
// (its Cache-Control max-age).
const JWKSMaxAge = 60 * time.Second

// Key is an opened signing key.
type Key struct {
	ID       string
	Private  *rsa.PrivateKey
	ActiveAt time.Time
}

// Config is what a Ring needs.
type Config struct {
	Store  *storage.Store
	Secret []byte
	Now    func() time.Time
	Log    *slog.Logger
	// Retention is how long a superseded key stays published: the longest
	// lifetime of a token it may have signed.
	Retention time.Duration
}

// Ring holds the signing keys of the store, opened with the system
// secret. Every replica reads the same rows, so they all sign with the
// same key and publish the same JWKS; Reload picks up keys rotated
// elsewhere. It is safe for concurrent use.
type Ring struct {
	cfg  Config
	seal *Box

	mu   sync.RWMutex
	keys []Key // newest ActiveAt first
}

// Load opens the keyring of cfg.Store, creating the first key when the
// store has none. Two replicas starting together on one database race
// there; InsertFirst lets exactly one win and both then load the winner's
// key. It fails when the key that should sign now does not open.
func Load(ctx context.Context, cfg Config) (*Ring, error) {
	r := &Ring{cfg: cfg, seal: NewBox(cfg.Secret, PurposeSealKeys)}
	rows, err := cfg.Store.Keys.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if len(rows) == 0 {
		now := cfg.Now().UTC()
		first, err := generate(r.seal, now, now)
		if err != nil {
			return nil, err
		}
		if _, err := cfg.Store.Keys.InsertFirst(ctx, first); err != nil {
			return nil, fmt.Errorf("signing keys: %w", err)
		}
	}
	if err := r.Reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the keys from the store, opening only those not yet held.
// A key that does not open is skipped with an error naming it, so one bad
// row (a key rotated in with the wrong secret, say) does not stop the
// provider; only when the key that should sign now does not open is
// Reload an error, since signing with another would hide the fault.
func (r *Ring) Reload(ctx context.Context) error {
	rows, err := r.cfg.Store.Keys.List(ctx)
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	if len(rows) == 0 {
		return errors.New("signing keys: none in the store")
	}
	r.mu.RLock()
	held := make(map[string]Key, len(r.keys))
	for _, k := range r.keys {
		held[k.ID] = k
	}
	r.mu.RUnlock()

	active := rows[activeIndex(rows, r.cfg.Now(), func(k idp.SigningKey) time.Time { return k.ActiveAt })].ID
	keys := make([]Key, 0, len(rows))
	for _, row := range rows {
		if k, ok := held[row.ID]; ok {
			keys = append(keys, k)
			continue
		}
		priv, err := openKey(r.seal, row)
		if err != nil && row.ID == active {
			return fmt.Errorf("active signing key %s: %w", row.ID, err)
		}
		if err != nil {
			r.cfg.Log.Error("signing key skipped: it does not open; remove it with idp keys remove",
				"kid", row.ID, "err", err)
			continue
		}
		keys = append(keys, Key{ID: row.ID, Private: priv, ActiveAt: row.ActiveAt})
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].ActiveAt.After(keys[j].ActiveAt) })
	r.mu.Lock()
	r.keys = keys
	r.mu.Unlock()
	return nil
}

// openKey unseals and parses a stored key; the seal is bound to the key
// id, so sealed keys cannot be swapped between rows.
func openKey(box *Box, row idp.SigningKey) (*rsa.PrivateKey, error) {
	der, err := box.Open(row.Sealed, []byte(row.ID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w (was IDP_SECRET changed?)", row.ID, err)
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

// Active is the key to sign with: the newest one whose time has come.
func (r *Ring) Active() Key {
	now := r.cfg.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[activeIndex(r.keys, now, func(k Key) time.Time { return k.ActiveAt })]
}

// Published lists the keys relying parties may meet: keys not yet active,
// the active one, and each superseded key until every token it signed has
// expired (Retention after the next key took over).
func (r *Ring) Published() []Key {
	now := r.cfg.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Key
	for i, k := range r.keys {
		if i == 0 || now.Sub(r.keys[i-1].ActiveAt) < r.cfg.Retention {
			out = append(out, k)
		}
	}
	return out
}

// ByID finds a published key for verification; a key no longer published
// verifies nothing.
func (r *Ring) ByID(id string) (Key, bool) {
	for _, k := range r.Published() {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// JWKS is the public half of every published key (RFC 7517 §5), for the
// jwks_uri of OpenID Connect Discovery §3.
func (r *Ring) JWKS() josev4.JSONWebKeySet {
	set := josev4.JSONWebKeySet{}
	for _, k := range r.Published() {
		set.Keys = append(set.Keys, josev4.JSONWebKey{
			Key: &k.Private.PublicKey, KeyID: k.ID, Algorithm: string(josev4.RS256), Use: "sig",
		})
	}
	return set
}
