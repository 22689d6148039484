package web

import (
	"fmt"
	"time"

	"github.com/idp/idp"
	"strings"
	"testing"
)

// TestThrottleKeys: a key is a fixed-size hash of the normalised input, so
// what an attacker types costs neither memory nor table space, and spelling
// a name differently does not earn fresh attempts.
func TestThrottleKeys(t *testing.T) {
	th := NewThrottle(nil, []byte("0123456789abcdef0123456789abcdef"), nil)
	name := func(n string) string { return AccountName(idp.Member{}, n) }
	alice := th.NewAttempt("192.0.2.1", name("alice"))
	for _, same := range []Attempt{th.NewAttempt("192.0.2.1", name("  Alice ")), th.NewAttempt("192.0.2.1", name("ALICE"))} {
		if same != alice {
			t.Errorf("spellings of one name give different keys: %+v, %+v", same, alice)
		}
	}
	if other := th.NewAttempt("192.0.2.2", name("alice")); other.account == alice.account || other.address == alice.address {
		t.Error("two addresses share a key")
	}
	if bob := th.NewAttempt("192.0.2.1", name("bob")); bob.account == alice.account || bob.address != alice.address {
		t.Error("accounts not told apart, or the address key depends on the account")
	}
	v6a, v6b := th.NewAttempt("2001:db8:1:2::1", name("alice")), th.NewAttempt("2001:db8:1:2:ffff::9", name("alice"))
	if v6a != v6b {
		t.Error("addresses of one IPv6 /64 count apart")
	}
	if v6c := th.NewAttempt("2001:db8:1:3::1", name("alice")); v6c == v6a {
		t.Error("two IPv6 /64s share a key")
	}
	if member := th.NewAttempt("192.0.2.1", AccountName(idp.Member{ID: "alice"}, "alice")); member == alice {
		t.Error("a member and a name that finds nobody share a key")
	}
	huge := th.NewAttempt("192.0.2.1", name(strings.Repeat("x", 1<<20)))
	for _, k := range []string{alice.account, alice.address, huge.account} {
		if len(k) != 64 {
			t.Errorf("key %.80q is %d bytes, want a 64-byte hash", k, len(k))
		}
	}
	if other := NewThrottle(nil, []byte("another secret, another set of keys"), nil); other.NewAttempt("192.0.2.1", name("alice")) == alice {
		t.Error("keys do not depend on the secret")
	}
}

// TestThrottleBlockedBounded: the in-memory list of blocked keys never
// outgrows maxBlocked, and drops keys whose window has ended.
func TestThrottleBlockedBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	th := NewThrottle(nil, []byte("0123456789abcdef0123456789abcdef"), nil)
	for i := range maxBlocked + 100 {
		th.block(now, fmt.Sprint(i), now.Add(time.Minute))
	}
	if len(th.blocked) != maxBlocked {
		t.Fatalf("%d blocked keys, want the cap %d", len(th.blocked), maxBlocked)
	}
	if _, ok := th.isBlocked(now, "0"); !ok {
		t.Error("a blocked key is not reported")
	}
	later := now.Add(time.Minute)
	if _, ok := th.isBlocked(later, "0"); ok {
		t.Error("a key is still blocked after its window")
	}
	th.block(later, "new", later.Add(time.Minute)) // full: sweeps first
	if _, ok := th.isBlocked(later, "new"); !ok || len(th.blocked) != 1 {
		t.Errorf("after a sweep: %d keys, new blocked = %v; want only the new one", len(th.blocked), ok)
	}
	th.Sweep(later.Add(time.Minute))
	if len(th.blocked) != 0 {
		t.Errorf("sweep left %d expired keys", len(th.blocked))
	}
}
