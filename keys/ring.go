package keys

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	ID        string
	Algorithm string // RS256, ES256 or EdDSA
	Private   crypto.Signer
	ActiveAt  time.Time
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
	// Algorithms are those Load makes sure a key exists for; RS256 alone
	// when empty. Keys of other algorithms found in the store are held and
	// published all the same.
	Algorithms []string
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

// Load opens the keyring of cfg.Store, creating the first key of each of
// cfg.Algorithms the store has none of. Keys are made at start rather than
// when a client first asks for an algorithm: a key made on demand would
// sign before any relying party's cached JWKS could list it, and a client
// may switch algorithm at any time. Two replicas starting together on one
// database race there; InsertFirst lets exactly one win per algorithm and
// both then load the winner's key. It fails when a key that should sign
// now does not open.
func Load(ctx context.Context, cfg Config) (*Ring, error) {
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []string{RS256}
	}
	r := &Ring{cfg: cfg, seal: NewBox(cfg.Secret, PurposeSealKeys)}
	rows, err := cfg.Store.Keys.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	for _, alg := range cfg.Algorithms {
		if slices.ContainsFunc(rows, func(k idp.SigningKey) bool { return k.Algorithm == alg }) {
			continue
		}
		now := cfg.Now().UTC()
		first, err := generate(r.seal, alg, now, now)
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

	active := activeIDs(rows, r.cfg.Now())
	keys := make([]Key, 0, len(rows))
	for _, row := range rows {
		if k, ok := held[row.ID]; ok {
			keys = append(keys, k)
			continue
		}
		priv, err := openKey(r.seal, row)
		if err != nil && active[row.ID] {
			return fmt.Errorf("active signing key %s: %w", row.ID, err)
		}
		if err != nil {
			r.cfg.Log.Error("signing key skipped: it does not open; remove it with idp keys remove",
				"kid", row.ID, "err", err)
			continue
		}
		keys = append(keys, Key{ID: row.ID, Algorithm: row.Algorithm, Private: priv, ActiveAt: row.ActiveAt})
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].ActiveAt.After(keys[j].ActiveAt) })
	r.mu.Lock()
	r.keys = keys
	r.mu.Unlock()
	return nil
}

// openKey unseals and parses a stored key; the seal is bound to the key
// id, so sealed keys cannot be swapped between rows, and the key must be
// of the row's algorithm.
func openKey(box *Box, row idp.SigningKey) (crypto.Signer, error) {
	der, err := box.Open(row.Sealed, []byte(row.ID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w (was IDP_SECRET changed?)", row.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", row.ID, err)
	}
	priv, err := checkPrivate(row.Algorithm, parsed)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", row.ID, err)
	}
	return priv, nil
}

// byAlgorithm splits list into one list per algorithm, keeping the order.
func byAlgorithm[K any](list []K, alg func(K) string) map[string][]K {
	out := map[string][]K{}
	for _, k := range list {
		out[alg(k)] = append(out[alg(k)], k)
	}
	return out
}

// activeIDs names the key of each algorithm that signs at now.
func activeIDs(rows []idp.SigningKey, now time.Time) map[string]bool {
	out := map[string]bool{}
	for _, group := range byAlgorithm(rows, func(k idp.SigningKey) string { return k.Algorithm }) {
		out[group[activeIndex(group, now, func(k idp.SigningKey) time.Time { return k.ActiveAt })].ID] = true
	}
	return out
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

// Active is the RS256 key to sign with: the newest one whose time has
// come. RS256 is the default algorithm, which Load always provides.
func (r *Ring) Active() Key {
	k, _ := r.ActiveFor(RS256)
	return k
}

// ActiveFor is the key of algorithm alg to sign with, the newest one
// whose time has come; false when the ring holds no key of alg.
func (r *Ring) ActiveFor(alg string) (Key, bool) {
	now := r.cfg.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	var group []Key
	for _, k := range r.keys {
		if k.Algorithm == alg {
			group = append(group, k)
		}
	}
	if len(group) == 0 {
		return Key{}, false
	}
	return group[activeIndex(group, now, func(k Key) time.Time { return k.ActiveAt })], true
}

// Published lists the keys relying parties may meet, of every algorithm:
// keys not yet active, the active one, and each superseded key until every
// token it signed has expired (Retention after the next key of its
// algorithm took over). The order is newest ActiveAt first.
func (r *Ring) Published() []Key {
	now := r.cfg.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	last := map[string]time.Time{} // ActiveAt of the newer key of each algorithm
	var out []Key
	for _, k := range r.keys {
		if newer, ok := last[k.Algorithm]; !ok || now.Sub(newer) < r.cfg.Retention {
			out = append(out, k)
		}
		last[k.Algorithm] = k.ActiveAt
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
			Key: k.Private.Public(), KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig",
		})
	}
	return set
}
