package provider_test

import (
	"strings"
	"testing"
	"time"

	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage/storagetest"
)

// TestConfigValidateLifetimes: "Validate reports every problem at once,
// naming the setting" covers the refresh token max lifetime and the login
// flow lifespan, and a max lifetime shorter than the sliding lifespan.
func TestConfigValidateLifetimes(t *testing.T) {
	good := provider.Config{Issuer: "https://id.example", Store: storagetest.SQLite(t), Secret: make([]byte, 32)}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate of a good config: %v", err)
	}
	bad := good
	bad.RefreshTokenMaxLifetime, bad.LoginFlowLifespan = -time.Second, -time.Second
	wantErr(t, bad, "refresh token max lifetime: must not be negative", "login flow lifespan: must not be negative")
	short := good
	short.RefreshTokenLifespan, short.RefreshTokenMaxLifetime = 48*time.Hour, 24*time.Hour
	wantErr(t, short, "refresh token max lifetime: 24h0m0s is shorter than the refresh token lifespan 48h0m0s")
}

// TestConfigValidateScheduleAndRetention: a key rotation interval below
// keys.MinRotationInterval (other than 0, off) and a negative audit
// retention are refused, each by name.
func TestConfigValidateScheduleAndRetention(t *testing.T) {
	good := provider.Config{Issuer: "https://id.example", Store: storagetest.SQLite(t), Secret: make([]byte, 32),
		KeyRotationInterval: 2160 * time.Hour, AuditRetention: time.Hour}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate of a good config: %v", err)
	}
	bad := good
	bad.KeyRotationInterval, bad.AuditRetention = 10*time.Minute, -time.Hour
	wantErr(t, bad, "key rotation interval: 10m0s is shorter than 1h0m0s", "audit retention: must not be negative")
}

// TestConfigValidateIssuerPath: every route is absolute, so an issuer with
// a path is refused with a message that says so.
func TestConfigValidateIssuerPath(t *testing.T) {
	c := provider.Config{Issuer: "https://x.example/idp", Store: storagetest.SQLite(t), Secret: make([]byte, 32)}
	wantErr(t, c, `issuer: "https://x.example/idp" has the path "/idp", but routes are served from the root of the host`)
	c.Issuer = "https://x.example/"
	if err := c.Validate(); err != nil {
		t.Fatalf("a trailing slash is no path: %v", err)
	}
}

func wantErr(t *testing.T, c provider.Config, want ...string) {
	t.Helper()
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad config")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}
