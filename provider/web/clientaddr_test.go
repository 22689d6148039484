package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	tests := []struct {
		name    string
		proxies []netip.Prefix
		peer    string
		header  map[string][]string
		want    string
	}{
		{"no proxies: headers ignored", nil, "192.0.2.9:1234",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "192.0.2.9"},
		{"untrusted peer: headers ignored", trusted, "192.0.2.9:1234",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "192.0.2.9"},
		{"trusted peer, no header", trusted, "10.0.0.1:1234", nil, "10.0.0.1"},
		{"one proxy", trusted, "10.0.0.1:1234",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"client-written entries left of the first untrusted hop are not believed", trusted, "10.0.0.1:1234",
			map[string][]string{"X-Forwarded-For": {"203.0.113.66, 198.51.100.1"}}, "198.51.100.1"},
		{"trusted hops skipped, across header lines", trusted, "10.0.0.1:1234",
			map[string][]string{"X-Forwarded-For": {"203.0.113.66, 198.51.100.1", "10.2.3.4"}}, "198.51.100.1"},
		{"all hops trusted: the leftmost", trusted, "10.0.0.1:1234",
			map[string][]string{"X-Forwarded-For": {"10.9.9.9, 10.2.3.4"}}, "10.9.9.9"},
		{"garbage ends the walk at the trusted hop that passed it", trusted, "10.0.0.1:1234",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1, bogus"}}, "10.0.0.1"},
		{"Forwarded, IPv6 with port", trusted, "[2001:db8:ffff::1]:443",
			map[string][]string{"Forwarded": {`for=192.0.2.60;proto=https, For="[2001:db8:cafe::17]:4711"`}}, "2001:db8:cafe::17"},
		{"Forwarded unknown", trusted, "10.0.0.1:1234",
			map[string][]string{"Forwarded": {"for=unknown"}}, "10.0.0.1"},
		{"X-Forwarded-For wins over Forwarded", trusted, "10.0.0.1:1234",
			map[string][]string{"Forwarded": {"for=192.0.2.60"}, "X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"IPv4-mapped peer", trusted, "[::ffff:10.0.0.1]:1234",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &Kit{cfg: Config{TrustedProxies: tt.proxies}}
			r := httptest.NewRequest("POST", "/login", nil)
			r.RemoteAddr = tt.peer
			for k, v := range tt.header {
				r.Header[k] = v
			}
			if got := k.ClientAddr(r); got != tt.want {
				t.Errorf("ClientAddr = %q, want %q", got, tt.want)
			}
		})
	}
}
