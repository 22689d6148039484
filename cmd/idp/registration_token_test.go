package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestRegistrationTokenCreate: the token is printed once, only its hash
// is stored, and it expires when --expires-in says.
func TestRegistrationTokenCreate(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		out, errOut, err := invocation{}.run(t, "registration-token", "create", "--database", dsn, "--expires-in", "1h")
		if err != nil {
			t.Fatalf("create: %v\n%s", err, errOut)
		}
		token := strings.TrimSpace(out)
		if len(token) != 43 || strings.Contains(errOut, token) {
			t.Fatalf("stdout %q, stderr %q; want the 43-character token on stdout only", out, errOut)
		}
		wantContains(t, errOut, "registers one client", "not shown again")
		withTestStore(t, dsn, func(store *storage.Store) {
			sum := sha256.Sum256([]byte(token))
			tok, err := store.Registrations.Token(t.Context(), hex.EncodeToString(sum[:]), time.Now())
			if err != nil {
				t.Fatalf("the token's hash is not stored: %v", err)
			}
			if d := time.Until(tok.ExpiresAt); d < 59*time.Minute || d > time.Hour {
				t.Errorf("expires in %v, want 1h", d)
			}
			if _, err := store.Registrations.Token(t.Context(), token, time.Now()); !errors.Is(err, idp.ErrNotFound) {
				t.Errorf("the token itself is stored: %v", err)
			}
		})
		if again := runOK(t, "", "registration-token", "create", "--database", dsn); strings.TrimSpace(again) == token {
			t.Error("two tokens are equal")
		}
	})
	msg := idpFails(t, "", "registration-token", "create", "--database", newDatabase(t), "--expires-in", "-1h")
	wantContains(t, msg, "--expires-in: must be positive")
}

// TestServeRegistrationSettings checks the rule "idp:admin can never be
// allowed to self-registered clients": serve refuses to start naming the
// setting, as it does an unknown mode.
func TestServeRegistrationSettings(t *testing.T) {
	cfg := serveConfig{Issuer: "https://id.example", Listen: ":8080", Database: "idp.db",
		SessionIdle: time.Hour, SessionLifetime: time.Hour, AccessTokenLifespan: time.Hour, RefreshTokenLifespan: time.Hour,
		KDFWait: time.Second, Registration: "sometimes", RegistrationScopes: "openid, idp:admin"}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted idp:admin for self-registered clients")
	}
	wantContains(t, err.Error(), `--registration/IDP_REGISTRATION: "sometimes": want off, token or open`,
		`--registration-scopes/IDP_REGISTRATION_SCOPES[1]: "idp:admin": the admin scope can never be granted`)
	_, _, err = invocation{env: map[string]string{"IDP_REGISTRATION_SCOPES": "openid idp:admin", "IDP_DATABASE_URL": newDatabase(t)}}.run(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "--registration-scopes/IDP_REGISTRATION_SCOPES") {
		t.Fatalf("serve with idp:admin in IDP_REGISTRATION_SCOPES: %v", err)
	}
}

// TestServeRegistrationToken: with --registration token, a token from idp
// registration-token create registers a client at the endpoint discovery
// names.
func TestServeRegistrationToken(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		args := []string{"--database", dsn, "--registration", "token", "--registration-scopes", "openid,email"}
		if storage.IsPostgres(dsn) {
			args = append(args, "--secret", "0123456789abcdef0123456789abcdef")
		}
		base, _ := startServe(t, args...)
		token := strings.TrimSpace(runOK(t, "", "registration-token", "create", "--database", dsn))
		resp, err := http.Get(base + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Registration string `json:"registration_endpoint"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if !strings.HasSuffix(doc.Registration, "/oauth2/register") {
			t.Fatalf("registration_endpoint %q", doc.Registration)
		}
		register := func(token string) (int, map[string]any) {
			req, _ := http.NewRequest(http.MethodPost, base+"/oauth2/register",
				strings.NewReader(`{"redirect_uris":["https://app.example/cb"]}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			return resp.StatusCode, out
		}
		if code, out := register(token); code != http.StatusCreated || out["scope"] != "openid email" {
			t.Fatalf("register: %d %v; want 201 with the configured allow-list", code, out)
		}
		if code, _ := register(token); code != http.StatusUnauthorized {
			t.Fatalf("second use of a token: %d, want 401", code)
		}
	})
}
