package provider

import (
	"strings"
	"testing"
	"time"
)

func testProvider() *Provider {
	return &Provider{csrfKey: deriveKey([]byte("0123456789abcdef0123456789abcdef"), purposeCSRF), cfg: Config{Now: time.Now}}
}

// TestLogoutBlob: the confirmation form's state round-trips, and any
// change to it, or its expiry, is refused.
func TestLogoutBlob(t *testing.T) {
	p := testProvider()
	lr := logoutRequest{Redirect: "http://rp.localhost/?state=abc", ClientID: "web", Expires: time.Now().Add(time.Minute)}
	blob := p.signLogout(lr)
	got, ok := p.openLogout(blob)
	if !ok || got.Redirect != lr.Redirect || got.ClientID != lr.ClientID {
		t.Fatalf("round trip: %v %+v", ok, got)
	}
	payload, sig, _ := strings.Cut(blob, ".")
	for name, bad := range map[string]string{
		"empty": "", "no signature": payload, "flipped signature": payload + "." + flip(sig),
		"flipped payload": flip(payload) + "." + sig, "other key": (&Provider{csrfKey: []byte("another key, 32 bytes long......")}).signLogout(lr),
		"expired": p.signLogout(logoutRequest{Redirect: "http://rp.localhost/", Expires: time.Now().Add(-time.Second)}),
	} {
		if _, ok := p.openLogout(bad); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func flip(s string) string {
	if s == "" {
		return "x"
	}
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// FuzzOpenLogout: the form field is untrusted; it never panics and only
// what this provider signed opens.
func FuzzOpenLogout(f *testing.F) {
	p := testProvider()
	f.Add(p.signLogout(logoutRequest{Redirect: "http://rp.localhost/", Expires: time.Now().Add(time.Hour)}))
	f.Add("e30.AAAA")
	f.Add(".")
	f.Fuzz(func(t *testing.T, blob string) {
		lr, ok := p.openLogout(blob)
		if ok && p.signLogout(lr) == "" {
			t.Fatal("opened a blob that does not re-sign")
		}
	})
}
