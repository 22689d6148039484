package registration

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
)

// TestCheckNamesMetadataFields: errors of the registration rules are
// reported under the names the registering client used.
func TestCheckNamesMetadataFields(t *testing.T) {
	allowed := clients.DefaultRegistrationScopes
	for _, tc := range []struct {
		m          metadata
		code, want string
	}{
		{metadata{RedirectURIs: []string{"https://a.example/cb", "http://a.example/cb"}}, "invalid_redirect_uri", "redirect_uris[1]: "},
		{metadata{RedirectURIs: []string{"https://a.example/cb"}, Scope: "openid roles"}, "invalid_client_metadata", `scope: "roles"`},
		{metadata{RedirectURIs: []string{"https://a.example/cb"}, ClientName: "a\x00b"}, "invalid_client_metadata", "client_name: "},
		{metadata{RedirectURIs: []string{"https://a.example/cb"}, GrantTypes: []string{"password"}}, "invalid_client_metadata", "grant_types[0]: "},
	} {
		err := check(tc.m.client("id", tc.m.confidential(), allowed), allowed)
		var me *metadataError
		if !errors.As(err, &me) || me.Code != tc.code || !strings.Contains(me.Description, tc.want) {
			t.Errorf("%+v: %v; want %s naming %q", tc.m, err, tc.code, tc.want)
		}
	}
}

// FuzzRegistrationRequest: whatever body arrives, the endpoint's parsing
// and rules never panic, and a client they accept satisfies every rule,
// holds only allowed scopes and never idp:admin.
func FuzzRegistrationRequest(f *testing.F) {
	for _, s := range []string{
		`{"redirect_uris":["https://a.example/cb"],"scope":"openid idp:admin"}`,
		`{"redirect_uris":["http://localhost/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code"]}`,
		`{"grant_types":["client_credentials"],"scope":"openid"}`,
		`{"redirect_uris":"x"}`, `[]`, `{"scope":" "}`,
	} {
		f.Add(s)
	}
	allowed := append(slices.Clone(clients.DefaultRegistrationScopes), idp.ScopeAdmin)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		req, err := decode(httptest.NewRecorder(), r)
		if err != nil {
			return
		}
		c := req.client("id", req.confidential(), allowed)
		if check(c, allowed) != nil {
			return
		}
		if err := clients.Validate(c); err != nil {
			t.Fatalf("accepted an invalid client: %v", err)
		}
		if slices.Contains(c.Scopes, idp.ScopeAdmin) || c.SkipConsent || c.Introspection != "" {
			t.Fatalf("accepted a privileged client: %+v", c)
		}
	})
}
