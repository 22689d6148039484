package provider

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// throttle limits password guessing: after maxFailures failed sign-ins
// for one account from one address, or for any account from one address,
// within window, further attempts from that address are refused until the
// window has passed. Keying by address as well as account means a
// guesser cannot lock the real member out from elsewhere. The counts live
// in memory, per replica: a first line of defence, not a distributed one.
type throttle struct {
	now func() time.Time

	mu       sync.Mutex
	failures map[string]*failureCount
}

type failureCount struct {
	n     int
	first time.Time
}

const (
	throttleWindow     = 15 * time.Minute
	maxAccountFailures = 10  // per account and address
	maxAddressFailures = 100 // per address, any account
	throttleMaxEntries = 100000
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, failures: map[string]*failureCount{}}
}

func throttleKeys(r *http.Request, username string) (account, address string) {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return ip + "\x00" + strings.ToLower(username), ip
}

// allowed reports whether a sign-in attempt may be checked at all.
func (t *throttle) allowed(r *http.Request, username string) bool {
	account, address := throttleKeys(r, username)
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count(account) < maxAccountFailures && t.count(address) < maxAddressFailures
}

// failed records a failed attempt.
func (t *throttle) failed(r *http.Request, username string) {
	account, address := throttleKeys(r, username)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.failures) >= throttleMaxEntries { // bounded memory under a flood
		t.sweep()
	}
	for _, k := range []string{account, address} {
		if t.count(k) == 0 {
			t.failures[k] = &failureCount{first: t.now()}
		}
		t.failures[k].n++
	}
}

// succeeded forgets the account's failures from this address.
func (t *throttle) succeeded(r *http.Request, username string) {
	account, _ := throttleKeys(r, username)
	t.mu.Lock()
	delete(t.failures, account)
	t.mu.Unlock()
}

// count is the failures of k inside the window; t.mu is held.
func (t *throttle) count(k string) int {
	f, ok := t.failures[k]
	if !ok {
		return 0
	}
	if t.now().Sub(f.first) >= throttleWindow {
		delete(t.failures, k)
		return 0
	}
	return f.n
}

// sweep drops expired entries, and everything if that frees too little.
func (t *throttle) sweep() {
	for k := range t.failures {
		t.count(k)
	}
	if len(t.failures) >= throttleMaxEntries/2 {
		clear(t.failures)
	}
}
