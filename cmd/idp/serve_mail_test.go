package main

import (
	"strings"
	"testing"
)

// TestServeMailSettings: --smtp-url and --mail-from are read from their
// IDP_* twins, refused by name when wrong, and the URL's password never
// appears in the refusal.
func TestServeMailSettings(t *testing.T) {
	dsn := newDatabase(t)
	const pass = "smtp-password-not-to-print"
	for env, want := range map[string]string{
		"ftp://u:" + pass + "@mail.example:25":     "--smtp-url/IDP_SMTP_URL",
		"smtp://u:" + pass + "@mail.example/inbox": "--smtp-url/IDP_SMTP_URL",
	} {
		_, errOut, err := invocation{env: map[string]string{"IDP_DATABASE_URL": dsn, "IDP_SMTP_URL": env,
			"IDP_MAIL_FROM": "id@example.com"}}.run(t, "serve")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("IDP_SMTP_URL=%s: %v; want it refused by name", strings.ReplaceAll(env, pass, "xxx"), err)
		}
		if err != nil && strings.Contains(err.Error()+errOut, pass) {
			t.Errorf("the refusal prints the SMTP password: %v", err)
		}
	}
	_, _, err := invocation{env: map[string]string{"IDP_DATABASE_URL": dsn, "IDP_SMTP_URL": "smtp://mail.example:587"}}.run(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "--mail-from/IDP_MAIL_FROM") {
		t.Errorf("smtp url without a sender: %v; want --mail-from refused", err)
	}
	_, _, err = invocation{env: map[string]string{"IDP_DATABASE_URL": dsn, "IDP_MAIL_FROM": "id@example.com"}}.run(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "--mail-from/IDP_MAIL_FROM") {
		t.Errorf("a sender without an smtp url: %v; want it refused", err)
	}
}
