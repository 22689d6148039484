package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// Sign-in limits. Keying by address as well as account means a guesser
// cannot lock the real member out from elsewhere; the per-address limit
// caps how many accounts one address may try.
const (
	// throttleWindow is how long attempts are counted from the first one:
	// long enough that guessing stays slow (at most 40 guesses an hour
	// per account and address), short enough that a member who mistyped
	// waits minutes, not hours.
	throttleWindow = 15 * time.Minute
	// maxAccountAttempts is the failed sign-ins allowed per account and
	// address in a window.
	maxAccountAttempts = 10
	// maxAddressAttempts is the failed sign-ins allowed per address, any
	// account, in a window: generous for an office behind one NAT.
	maxAddressAttempts = 100
	// MaxUsernameBytes bounds a username or email: RFC 5321 caps an
	// address at 254 bytes, so a longer name names nobody and is refused
	// before any work.
	MaxUsernameBytes = 256
	// maxBlocked bounds the in-memory list of keys known to be over their
	// limit, so a flood of distinct names cannot grow it without end.
	maxBlocked = 10000
)

// Throttle limits password guessing at /login. Each attempt is counted in
// the store before the password is looked at, and goes ahead only if the
// counts for its address and for its account from that address are
// within the limits: counting first is what keeps concurrent attempts from
// all passing one check. The counts live in the store, so every replica
// enforces the same limits; keys are keyed hashes of the normalised
// input, fixed in size, so neither memory nor the table holds what an
// attacker typed.
//
// Keys already known to be over their limit are remembered in memory
// until their window ends, a cheap first layer that spares the store
// under a flood.
type Throttle struct {
	store *storage.Store
	key   []byte // HMAC key: the same on every replica, as the secret is
	now   func() time.Time

	mu      sync.Mutex
	blocked map[string]time.Time // key → end of its window
}

// NewThrottle returns a throttle counting in store, keying with key.
func NewThrottle(store *storage.Store, key []byte, now func() time.Time) *Throttle {
	return &Throttle{store: store, key: key, now: now, blocked: map[string]time.Time{}}
}

// Attempt is one sign-in attempt's throttle keys.
type Attempt struct{ account, address string }

// NewAttempt derives the keys of an attempt on account (as AccountName
// gives it) from addr (an IP address as Kit.ClientAddr returns it).
func (t *Throttle) NewAttempt(addr, account string) Attempt {
	a := AddressKey(addr)
	return Attempt{account: t.hash("account", a, account), address: t.hash("address", a)}
}

// normalizeUsername is the form a username is counted under: trimmed,
// lower-cased, and cut at MaxUsernameBytes.
func normalizeUsername(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	if len(u) > MaxUsernameBytes {
		u = u[:MaxUsernameBytes]
	}
	return u
}

// AddressKey is the part of an address one client controls: the address
// for IPv4, its /64 for IPv6, where one subscriber commonly holds a whole
// /64 and could otherwise count each attempt under a fresh address.
func AddressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() {
		return addr
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

func (t *Throttle) hash(parts ...string) string {
	m := hmac.New(sha256.New, t.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// Reserve counts the attempt against both limits before the password is
// checked. It reports whether the attempt may go ahead and, when it may
// not, when to retry. The attempt counts as failed until Succeeded says
// otherwise.
func (t *Throttle) Reserve(ctx context.Context, a Attempt) (ok bool, retry time.Time, err error) {
	now := t.now()
	if until, blocked := t.isBlocked(now, a.address, a.account); blocked {
		return false, until, nil
	}
	ok = true
	for _, k := range []struct {
		key   string
		limit int
	}{{a.address, maxAddressAttempts}, {a.account, maxAccountAttempts}} {
		n, ends, err := t.store.Throttle.Hit(ctx, k.key, now, throttleWindow)
		if err != nil {
			return false, time.Time{}, fmt.Errorf("throttle: %w", err)
		}
		if n > k.limit {
			t.block(now, k.key, ends)
			ok, retry = false, later(retry, ends)
		}
	}
	return ok, retry, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Succeeded takes back a reserved attempt that proved the password: the
// account's failures from this address are forgotten, and the address's
// count no longer includes this attempt.
func (t *Throttle) Succeeded(ctx context.Context, a Attempt) error {
	if err := t.store.Throttle.Reset(ctx, a.account); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	if err := t.store.Throttle.Undo(ctx, a.address); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	return nil
}

// Released takes back a reserved attempt whose password nobody checked
// (no derivation slot was free), so it does not count as a failure. Only
// attempts that never reached a verification are taken back, so the
// number of passwords checked in a window still stays within the limits.
func (t *Throttle) Released(ctx context.Context, a Attempt) error {
	for _, k := range []string{a.account, a.address} {
		if err := t.store.Throttle.Undo(ctx, k); err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
	}
	return nil
}

// isBlocked reports whether one of keys is known to be over its limit,
// and until when.
func (t *Throttle) isBlocked(now time.Time, keys ...string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if until, ok := t.blocked[k]; ok && now.Before(until) {
			return until, true
		}
	}
	return time.Time{}, false
}

// block remembers that key is over its limit until its window ends. When
// the list is full even after a Sweep, the key is not remembered: the
// store still refuses it, at the cost of a statement.
func (t *Throttle) block(now time.Time, key string, until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.blocked) >= maxBlocked {
		t.sweepLocked(now)
	}
	if len(t.blocked) < maxBlocked {
		t.blocked[key] = until
	}
}

// Sweep drops the in-memory entries whose window has ended.
func (t *Throttle) Sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(now)
}

func (t *Throttle) sweepLocked(now time.Time) {
	for k, until := range t.blocked {
		if !now.Before(until) {
			delete(t.blocked, k)
		}
	}
}

// AccountName is what a sign-in attempt is counted under: the member, by
// ID, however the attempt named them; or the name, when it names nobody.
func AccountName(m idp.Member, name string) string {
	if m.ID != "" {
		return "member\x00" + m.ID
	}
	return "name\x00" + normalizeUsername(name)
}

// AccountRef is a reference to account (as AccountName gives it) for logs
// and the audit trail: a keyed hash, the same for every attempt on one
// account and on every replica, so failed sign-ins on one account can be
// told apart and counted, but not reversed into the name someone typed
// (which may be a mistyped password) without the system secret.
func (t *Throttle) AccountRef(account string) string {
	return t.hash("ref", account)[:24]
}
