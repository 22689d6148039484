package provider

import (
	"strings"
	"testing"
)

// TestThrottleKeys: a key is a fixed-size hash of the normalised input, so
// what an attacker types costs neither memory nor table space, and spelling
// a name differently does not earn fresh attempts.
func TestThrottleKeys(t *testing.T) {
	th := newThrottle(nil, []byte("0123456789abcdef0123456789abcdef"), nil)
	alice := th.newAttempt("192.0.2.1", "alice")
	for _, same := range []attempt{th.newAttempt("192.0.2.1", "  Alice "), th.newAttempt("192.0.2.1", "ALICE")} {
		if same != alice {
			t.Errorf("spellings of one name give different keys: %+v, %+v", same, alice)
		}
	}
	if other := th.newAttempt("192.0.2.2", "alice"); other.account == alice.account || other.address == alice.address {
		t.Error("two addresses share a key")
	}
	if bob := th.newAttempt("192.0.2.1", "bob"); bob.account == alice.account || bob.address != alice.address {
		t.Error("accounts not told apart, or the address key depends on the account")
	}
	v6a, v6b := th.newAttempt("2001:db8:1:2::1", "alice"), th.newAttempt("2001:db8:1:2:ffff::9", "alice")
	if v6a != v6b {
		t.Error("addresses of one IPv6 /64 count apart")
	}
	if v6c := th.newAttempt("2001:db8:1:3::1", "alice"); v6c == v6a {
		t.Error("two IPv6 /64s share a key")
	}
	huge := th.newAttempt("192.0.2.1", strings.Repeat("x", 1<<20))
	for _, k := range []string{alice.account, alice.address, huge.account} {
		if len(k) != 64 {
			t.Errorf("key %.80q is %d bytes, want a 64-byte hash", k, len(k))
		}
	}
	if other := newThrottle(nil, []byte("another secret, another set of keys"), nil); other.newAttempt("192.0.2.1", "alice") == alice {
		t.Error("keys do not depend on the secret")
	}
}
