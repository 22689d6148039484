package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
)

func TestServeConfigValidate(t *testing.T) {
	good := serveConfig{Issuer: "https://id.example", Listen: ":8080", Database: "idp.db",
		SessionIdle: time.Hour, SessionLifetime: time.Hour, AccessTokenLifespan: time.Hour, RefreshTokenLifespan: time.Hour,
		KDFWait: time.Second, DeviceCodeLifespan: time.Minute, AuditRetention: time.Hour}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate of a good config: %v", err)
	}
	bad := good
	bad.Issuer, bad.Listen, bad.Database, bad.Secret = "id.example", "8080", "", "too-short"
	bad.SessionIdle, bad.RefreshReuseInterval, bad.DeviceCodeLifespan = -time.Second, -time.Second, 0
	bad.KDFConcurrency, bad.KDFQueue, bad.KDFWait = -1, -1, 0
	bad.TrustedProxies = "10.0.0.0/8, 192.0.2.1 proxy.example,10.1.0.0/33"
	bad.LogFormat, bad.MetricsListen = "xml", "9100"
	bad.KeyRotationInterval, bad.AuditRetention = 10*time.Minute, -time.Hour
	bad.BrandColor, bad.BrandLogo = "blue", filepath.Join(t.TempDir(), "missing.png")
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad config")
	}
	wantContains(t, err.Error(),
		`--issuer/IDP_ISSUER: "id.example" is not an absolute http(s) URL`,
		`--listen/IDP_LISTEN: "8080": want host:port`,
		"--database/IDP_DATABASE_URL: required",
		"--secret/IDP_SECRET: must be at least 32 bytes, got 9",
		"--session-idle/IDP_SESSION_IDLE: must be positive",
		"--device-code-lifespan/IDP_DEVICE_CODE_LIFESPAN: must be positive",
		"--kdf-concurrency/IDP_KDF_CONCURRENCY: must not be negative",
		"--kdf-queue/IDP_KDF_QUEUE: must not be negative",
		"--kdf-wait/IDP_KDF_WAIT: must be positive",
		"--refresh-token-reuse-interval/IDP_REFRESH_TOKEN_REUSE_INTERVAL: must not be negative",
		`--trusted-proxies/IDP_TRUSTED_PROXIES: "proxy.example" is not a CIDR prefix or an IP address`,
		`--trusted-proxies/IDP_TRUSTED_PROXIES: "10.1.0.0/33" is not a CIDR prefix or an IP address`,
		`--log-format/IDP_LOG_FORMAT: "xml": want text or json`,
		`--metrics-listen/IDP_METRICS_LISTEN: "9100": want host:port`,
		"--key-rotation-interval/IDP_KEY_ROTATION_INTERVAL: 10m0s: want 0 (off) or at least 1h0m0s",
		"--audit-retention/IDP_AUDIT_RETENTION: must be positive",
		`--brand-color/IDP_BRAND_COLOR: "blue" is not a hex colour`,
		"--brand-logo/IDP_BRAND_LOGO: open "+bad.BrandLogo)
	if strings.Contains(err.Error(), "too-short") {
		t.Fatal("the error echoes the secret")
	}
}

// TestServeConfigIssuerPath: routes are served from the root of the host,
// so an issuer with a path is refused, naming --issuer; so is a refresh
// token lifespan beyond the maximum refresh token lifetime.
func TestServeConfigIssuerPath(t *testing.T) {
	cfg := serveConfig{Issuer: "https://x.example/idp", Listen: ":8080", Database: "idp.db",
		SessionIdle: time.Hour, SessionLifetime: time.Hour, AccessTokenLifespan: time.Hour,
		RefreshTokenLifespan: 100 * 24 * time.Hour, KDFWait: time.Second}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted an issuer with a path")
	}
	wantContains(t, err.Error(),
		`--issuer/IDP_ISSUER: "https://x.example/idp" has the path "/idp"`,
		"--refresh-token-lifespan/IDP_REFRESH_TOKEN_LIFESPAN: 2400h0m0s exceeds the maximum refresh token lifetime")
}

func TestParsePrefixes(t *testing.T) {
	got, errs := parsePrefixes("10.0.0.0/8, 192.0.2.1\t2001:db8::/32 ::ffff:198.51.100.7 10.1.2.3/16")
	if errs != nil {
		t.Fatal(errs)
	}
	want := "[10.0.0.0/8 192.0.2.1/32 2001:db8::/32 198.51.100.7/32 10.1.0.0/16]"
	if fmt.Sprint(got) != want {
		t.Errorf("parsePrefixes = %v, want %v", got, want)
	}
	if got, errs := parsePrefixes(""); errs != nil || len(got) != 0 {
		t.Errorf("parsePrefixes(\"\") = %v, %v; want none", got, errs)
	}
}

func TestServeRefusesWeakSecretWithPostgres(t *testing.T) {
	const pg = "postgres://postgres@127.0.0.1:1/none"
	for _, tc := range []struct {
		name string
		inv  invocation
		args []string
		want string
	}{
		{"short flag", invocation{}, []string{"--database", pg, "--secret", "0123456789"},
			"--secret/IDP_SECRET: must be at least 32 bytes, got 10"},
		{"short environment", invocation{env: map[string]string{"IDP_DATABASE_URL": pg, "IDP_SECRET": "0123456789"}}, nil,
			"--secret/IDP_SECRET: must be at least 32 bytes, got 10"},
		{"missing", invocation{}, []string{"--database", pg},
			"--secret/IDP_SECRET: required with PostgreSQL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := tc.inv.run(t, append([]string{"serve", "--listen", "127.0.0.1:0"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serve = %v; want %q", err, tc.want)
			}
			if strings.Contains(err.Error()+stderr, "0123456789") {
				t.Fatal("the secret was printed")
			}
		})
	}
}

func TestResolveSecretSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "idp.db")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	first, err := resolveSecret("", "sqlite:"+db+"?_pragma=x", log)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(db + ".secret")
	if err != nil {
		t.Fatalf("secret file: %v", err)
	}
	if info.Mode().Perm() != 0o600 || len(first) < keys.MinSecretLength {
		t.Fatalf("secret file mode %v, secret %d bytes; want 0600 and at least %d", info.Mode().Perm(), len(first), keys.MinSecretLength)
	}
	wantContains(t, logs.String(), "level=WARN", db+".secret")
	if strings.Contains(logs.String(), string(first)) {
		t.Fatal("the secret was logged")
	}

	logs.Reset()
	again, err := resolveSecret("", db, log)
	if err != nil || !bytes.Equal(again, first) {
		t.Fatalf("second start: %v; want the same secret again", err)
	}
	if logs.Len() != 0 {
		t.Fatalf("second start logged %q; want nothing", logs.String())
	}

	given, err := resolveSecret(strings.Repeat("s", 32), db, log)
	if err != nil || string(given) != strings.Repeat("s", 32) {
		t.Fatalf("a given secret must win over the file: %q, %v", given, err)
	}
}

func TestResolveSecretRefusesShortFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "idp.db")
	if err := os.WriteFile(db+".secret", []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := resolveSecret("", db, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "must hold at least 32 bytes") || strings.Contains(err.Error(), "short") {
		t.Fatalf("resolveSecret = %v; want a refusal that does not echo the file", err)
	}
}

func TestServeRefusesBadBootstrap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bootstrap.yaml")
	doc := "clients:\n  - id: demo-rp\n    redirect_uris: [http://localhost/cb]\n    grant_types: [authorization_code, implicit]\n" +
		"members:\n  - email: a@example.com\n    username: a\n    password: a-password\n    role: root\n    shoe_size: 44\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := idpFails(t, "", "serve", "--listen", "127.0.0.1:0", "--database", filepath.Join(dir, "idp.db"), "--bootstrap", path)
	wantContains(t, msg, path+": members[0] (a@example.com): shoe_size: unknown field (line 10)")

	doc = strings.Replace(doc, "    shoe_size: 44\n", "", 1)
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	msg = idpFails(t, "", "serve", "--listen", "127.0.0.1:0", "--database", filepath.Join(dir, "idp.db"), "--bootstrap", path)
	wantContains(t, msg, path+`: clients[0] (demo-rp): grant_types[1]: "implicit": unknown grant type`,
		path+`: members[0] (a@example.com): role: "root"`)
}

// listening finds the bound address in the start line, in the text or the
// JSON log format.
var listening = regexp.MustCompile(`(?:listen=|"listen":")([^\s"]+)`)

// startServe runs idp serve with args until the test ends and returns its
// base URL and its log.
func startServe(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...),
			func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v after cancel; want nil", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop after cancel")
		}
	})
	deadline := time.After(60 * time.Second)
	for {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			return "http://" + m[1], &stderr
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve ended before listening: %v\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("serve did not listen within a minute\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestServeSmoke(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		args := []string{"--database", dsn, "--issuer", "http://id.localhost:8080", "--bootstrap", "testdata/bootstrap.yaml"}
		secret := ""
		if storage.IsPostgres(dsn) {
			secret = "0123456789abcdef0123456789abcdef"
			args = append(args, "--secret", secret)
		}
		base, logs := startServe(t, args...)
		resp, err := http.Get(base + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("discovery: %d, %v", resp.StatusCode, err)
		}
		if doc.Issuer != "http://id.localhost:8080" {
			t.Fatalf("issuer = %q", doc.Issuer)
		}
		wantContains(t, logs.String(), "issuer=http://id.localhost:8080", "bootstrap applied", "created=5",
			"serving http://id.localhost:8080", "discovery=http://id.localhost:8080/.well-known/openid-configuration",
			"open http://localhost:5555/", `demo_apps=http://localhost:5555/`)
		if secret != "" && strings.Contains(logs.String(), secret) {
			t.Fatal("the secret was logged")
		}
	})
}

// TestServeKeepsGeneratedSecret starts serve twice on one SQLite file: the
// first start creates the secret file, the second reuses it, so the signing
// key sealed with it still opens.
func TestServeKeepsGeneratedSecret(t *testing.T) {
	db := filepath.Join(t.TempDir(), "idp.db")
	for i := range 2 {
		t.Run("start", func(t *testing.T) {
			before, _ := os.ReadFile(db + ".secret")
			_, logs := startServe(t, "--database", db)
			info, err := os.Stat(db + ".secret")
			if err != nil || info.Mode().Perm() != 0o600 {
				t.Fatalf("secret file: %v, %v; want mode 0600", info, err)
			}
			after, _ := os.ReadFile(db + ".secret")
			warned := strings.Contains(logs.String(), "generated a system secret")
			if i == 0 && !warned {
				t.Fatal("the first start did not warn about the generated secret")
			}
			if i == 1 && (warned || !bytes.Equal(before, after)) {
				t.Fatal("the second start generated a new secret")
			}
			if strings.Contains(logs.String(), strings.TrimSpace(string(after))) {
				t.Fatal("the secret was logged")
			}
		})
	}
}
