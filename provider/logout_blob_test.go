package provider

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/idp/idp/keys"
)

func testProvider() *Provider {
	return providerWithSecret([]byte("0123456789abcdef0123456789abcdef"))
}

func providerWithSecret(secret []byte) *Provider {
	return &Provider{logoutState: keys.NewBox(secret, keys.PurposeLogout), cfg: Config{Now: time.Now}}
}

// TestLogoutBlob: the confirmation form's state round-trips, and any
// change to it, or its expiry, is refused; the browser cannot read it.
func TestLogoutBlob(t *testing.T) {
	p := testProvider()
	lr := logoutRequest{Redirect: "http://rp.localhost/?state=abc", ClientID: "web", Expires: time.Now().Add(time.Minute)}
	blob := p.signLogout(lr)
	got, ok := p.openLogout(blob)
	if !ok || got.Redirect != lr.Redirect || got.ClientID != lr.ClientID {
		t.Fatalf("round trip: %v %+v", ok, got)
	}
	raw, err := base64.RawURLEncoding.DecodeString(blob)
	if err != nil {
		t.Fatalf("blob %q is not base64url: %v", blob, err)
	}
	if bytes.Contains(raw, []byte("rp.localhost")) {
		t.Errorf("blob reveals the redirect: %q", raw)
	}
	for name, bad := range map[string]string{
		"empty": "", "truncated": blob[:len(blob)-4], "flipped start": flip(blob),
		"flipped middle": blob[:len(blob)/2] + flip(blob[len(blob)/2:]),
		"other key":      providerWithSecret([]byte("another secret, 32 bytes long...")).signLogout(lr),
		"expired":        p.signLogout(logoutRequest{Redirect: "http://rp.localhost/", Expires: time.Now().Add(-time.Second)}),
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
