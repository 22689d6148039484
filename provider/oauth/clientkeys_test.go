package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// A jwks_uri is fetched only from public addresses: a name or address
// pointing inside (loopback, RFC 1918, link-local metadata services) is
// refused when dialled, and a redirect is not followed.
func TestSecurityJWKSFetchGuarded(t *testing.T) {
	for addr, public := range map[string]bool{
		"127.0.0.1": false, "10.1.2.3": false, "192.168.0.1": false, "172.16.0.1": false,
		"169.254.169.254": false, "::1": false, "fd00::1": false, "fe80::1": false, "0.0.0.0": false,
		"::ffff:10.0.0.1": false, "224.0.0.1": false, "93.184.216.34": true, "2606:4700::1": true,
	} {
		if got := isPublic(netip.MustParseAddr(addr)); got != public {
			t.Errorf("isPublic(%s) = %v, want %v", addr, got, public)
		}
	}
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	defer inside.Close()
	ks := newKeySource(time.Now)
	if resp, err := ks.public.Get(inside.URL); err == nil {
		resp.Body.Close()
		t.Fatal("the public fetcher reached a loopback server")
	}
	redirect := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest", http.StatusFound))
	defer redirect.Close()
	if _, err := ks.fetch(context.Background(), redirect.URL); err == nil || !strings.Contains(err.Error(), "status 302") {
		t.Errorf("redirected jwks_uri: %v, want status 302 refused", err)
	}
	if _, err := ks.fetch(context.Background(), "http://app.example/jwks"); err == nil {
		t.Error("http jwks_uri to a non-loopback host fetched")
	}
	if _, err := ks.fetch(context.Background(), "https://10.0.0.1/jwks"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("https jwks_uri to a private address: %v, want refused", err)
	}
}
