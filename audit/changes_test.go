package audit_test

import (
	"reflect"
	"testing"

	"github.com/idp/idp/audit"
)

func TestChanges(t *testing.T) {
	for _, c := range []struct {
		name          string
		before, after map[string]any
		secrets       []string
		want          map[string]any
	}{
		{"nothing changed", map[string]any{"name": "A", "uris": []string{"x"}}, map[string]any{"name": "A", "uris": []string{"x"}}, nil, nil},
		{"changed fields only",
			map[string]any{"name": "A", "role": "member", "uris": []string{"x"}},
			map[string]any{"name": "B", "role": "member", "uris": []string{"x", "y"}}, nil,
			map[string]any{"before": map[string]any{"name": "A", "uris": []string{"x"}},
				"after": map[string]any{"name": "B", "uris": []string{"x", "y"}}}},
		{"creation", nil, map[string]any{"id": "app", "secret": "s3cr3t"}, nil,
			map[string]any{"after": map[string]any{"id": "app"}, "secrets_changed": []string{"secret"}}},
		{"deletion", map[string]any{"id": "app"}, nil, nil, map[string]any{"before": map[string]any{"id": "app"}}},
		{"a named secret field is never given a value", map[string]any{"pin": "1"}, map[string]any{"pin": "2"}, []string{"pin"},
			map[string]any{"secrets_changed": []string{"pin"}}},
		{"an unchanged secret is not mentioned", map[string]any{"password_hash": "h", "n": 1}, map[string]any{"password_hash": "h", "n": 2}, nil,
			map[string]any{"before": map[string]any{"n": 1}, "after": map[string]any{"n": 2}}},
		{"a field that appears with nil is a change", map[string]any{}, map[string]any{"uri": nil}, nil,
			map[string]any{"after": map[string]any{"uri": nil}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := audit.Changes(c.before, c.after, c.secrets...); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Changes = %#v, want %#v", got, c.want)
			}
		})
	}
}

func TestSecret(t *testing.T) {
	for field, want := range map[string]bool{
		"password": true, "client_secret": true, "secret_hash": true, "access_token": true, "refresh_token": true,
		"registration_access_token": true, "code": true, "code_verifier": true, "Password": true, "private_key": true,
		"token": true, "password_hash": true, "totp_secret": true,
		"token_endpoint_auth_method": false, "grant_type": false, "name": false, "email": false, "redirect_uris": false,
		"reason": false, "kid": false, "scopes": false,
	} {
		if got := audit.Secret(field); got != want {
			t.Errorf("Secret(%q) = %v, want %v", field, got, want)
		}
	}
}
