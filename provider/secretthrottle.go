package provider

import (
	"crypto/sha256"
	"sync"
	"time"
)

// secretThrottle slows down guessing of one client's secret: after
// maxSecretFailuresPerAddr wrong secrets for a client id from one address,
// or maxSecretFailures from anywhere, within secretThrottleWindow, further
// attempts for that id are refused without deriving anything until the
// window has passed. Unknown client ids are counted exactly like known
// ones, so the throttle tells nobody which ids are registered. Keys are
// SHA-256 digests, so an attacker's long ids cost a fixed 32 bytes each.
//
// Like the sign-in throttle it lives in memory, per replica. Entries are
// created only after a derivation, which the KDF limiter bounds to a few
// dozen a second, so the map cannot outgrow secretThrottleMaxEntries in
// one window; expired entries are swept when it fills up.
type secretThrottle struct {
	now func() time.Time

	mu       sync.Mutex
	failures map[[sha256.Size]byte]*secretFailures
}

const (
	// secretThrottleWindow is short: a client with a wrong secret deployed
	// recovers within it once fixed, and an attacker gets at most
	// maxSecretFailures guesses a minute for one id.
	secretThrottleWindow = time.Minute
	// maxSecretFailuresPerAddr stops one address from guessing;
	// maxSecretFailures stops many addresses together, at the price that
	// they can hold a client's fresh authentications off for a window.
	maxSecretFailuresPerAddr = 10
	maxSecretFailures        = 100
	secretThrottleMaxEntries = 100000
)

func newSecretThrottle(now func() time.Time) *secretThrottle {
	return &secretThrottle{now: now, failures: map[[sha256.Size]byte]*secretFailures{}}
}

func secretThrottleKeys(clientID, addr string) (perAddr, perClient [sha256.Size]byte) {
	return sha256.Sum256([]byte("addr\x00" + addr + "\x00" + clientID)), sha256.Sum256([]byte("client\x00" + clientID))
}

// blocked reports how long attempts for clientID from addr must wait, or 0
// when one may be checked now.
func (t *secretThrottle) blocked(clientID, addr string) time.Duration {
	perAddr, perClient := secretThrottleKeys(clientID, addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for k, limit := range map[[sha256.Size]byte]int{perAddr: maxSecretFailuresPerAddr, perClient: maxSecretFailures} {
		if f := t.live(k); f != nil && f.n >= limit {
			wait = max(wait, secretThrottleWindow-t.now().Sub(f.first))
		}
	}
	return wait
}

// failed records a wrong secret for clientID from addr.
func (t *secretThrottle) failed(clientID, addr string) {
	perAddr, perClient := secretThrottleKeys(clientID, addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.failures) >= secretThrottleMaxEntries {
		for k := range t.failures {
			t.live(k)
		}
	}
	for _, k := range [][sha256.Size]byte{perAddr, perClient} {
		f := t.live(k)
		if f == nil {
			if len(t.failures) >= secretThrottleMaxEntries {
				continue // full of live entries: stay bounded, count nothing new
			}
			f = &secretFailures{first: t.now()}
			t.failures[k] = f
		}
		f.n++
	}
}

// succeeded forgets the failures of clientID from addr.
func (t *secretThrottle) succeeded(clientID, addr string) {
	perAddr, _ := secretThrottleKeys(clientID, addr)
	t.mu.Lock()
	delete(t.failures, perAddr)
	t.mu.Unlock()
}

// live returns k's entry inside the window, dropping an expired one; t.mu
// is held.
func (t *secretThrottle) live(k [sha256.Size]byte) *secretFailures {
	f, ok := t.failures[k]
	if !ok {
		return nil
	}
	if t.now().Sub(f.first) >= secretThrottleWindow {
		delete(t.failures, k)
		return nil
	}
	return f
}

// secretFailures counts wrong secrets since first.
type secretFailures struct {
	n     int
	first time.Time
}
