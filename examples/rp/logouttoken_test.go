package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp/internal/idptest"
)

func TestVerifyLogoutToken(t *testing.T) {
	f := newFakeProvider(t)
	s, rp := newTestRP(t, f)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(c map[string]any)) string {
		c := f.logoutClaims("sid-1")
		change(c)
		return f.sign("logout+jwt", c)
	}
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+f.URL+`"}`)) + "."

	tests := []struct {
		name string
		raw  string
		want string // part of the refusal; empty means accepted
	}{
		{"valid", f.sign("logout+jwt", f.logoutClaims("sid-1")), ""},
		{"valid without exp", with(func(c map[string]any) { delete(c, "exp") }), ""},
		{"valid with sub only", with(func(c map[string]any) { delete(c, "sid") }), ""},
		{"aud as a string", with(func(c map[string]any) { c["aud"] = fakeClientID }), ""},
		{"unsigned", unsigned, "malformed"},
		{"other key", idptest.SignJWT(t, otherKey, f.kid, "logout+jwt", f.logoutClaims("sid-1")), "signature"},
		{"wrong iss", with(func(c map[string]any) { c["iss"] = "http://evil.example" }), "iss"},
		{"other client", with(func(c map[string]any) { c["aud"] = []string{"app-b"} }), "aud"},
		{"no iat", with(func(c map[string]any) { delete(c, "iat") }), "no iat"},
		{"old iat", with(func(c map[string]any) { c["iat"] = time.Now().Add(-10 * time.Minute).Unix() }), "too old"},
		{"future iat", with(func(c map[string]any) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() }), "in the future"},
		{"expired", with(func(c map[string]any) { c["exp"] = time.Now().Add(-5 * time.Minute).Unix() }), "expired"},
		{"no jti", with(func(c map[string]any) { delete(c, "jti") }), "no jti"},
		{"no events", with(func(c map[string]any) { delete(c, "events") }), "event"},
		{"other event", with(func(c map[string]any) { c["events"] = map[string]any{"urn:other": map[string]any{}} }), "event"},
		{"event not an object", with(func(c map[string]any) { c["events"] = map[string]any{backchannelLogoutEvent: true} }), "event"},
		{"neither sub nor sid", with(func(c map[string]any) { delete(c, "sub"); delete(c, "sid") }), "neither sub nor sid"},
		{"nonce (an ID token)", with(func(c map[string]any) { c["nonce"] = "n-123456789" }), "nonce"},
		{"null nonce", with(func(c map[string]any) { c["nonce"] = nil }), "nonce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.verifyLogoutToken(context.Background(), tt.raw)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused a valid token: %v", err)
			case tt.want != "" && (!errors.Is(err, errLogoutToken) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want a refusal mentioning %q", err, tt.want)
			}
			if tt.want == "" {
				return
			}
			resp, err := http.PostForm(rp+"/backchannel-logout", url.Values{"logout_token": {tt.raw}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Errorf("endpoint answered %d, want 400", resp.StatusCode)
			}
		})
	}
}

// FuzzVerifyLogoutToken feeds untrusted input to the logout token parser:
// it must never panic, and whatever it accepts names a session.
func FuzzVerifyLogoutToken(fz *testing.F) {
	f := newFakeProvider(fz)
	s, err := newServer(context.Background(), config{Issuer: f.URL, ClientID: fakeClientID, PublicURL: "http://localhost:5555"})
	if err != nil {
		fz.Fatal(err)
	}
	fz.Add(f.sign("logout+jwt", f.logoutClaims("sid-1")))
	fz.Add("eyJhbGciOiJub25lIn0.e30.")
	fz.Add("a.b.c")
	fz.Add("")
	fz.Fuzz(func(t *testing.T, raw string) {
		lt, err := s.verifyLogoutToken(context.Background(), raw)
		if err != nil {
			if !errors.Is(err, errLogoutToken) {
				t.Fatalf("error %v does not wrap errLogoutToken", err)
			}
			return
		}
		if lt.SID == "" && lt.Subject == "" {
			t.Fatalf("accepted %q naming no session", raw)
		}
	})
}
