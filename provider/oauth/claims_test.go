package oauth

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseClaimsRequest(t *testing.T) {
	tests := []struct {
		in       string
		userinfo []string
		idToken  []string
		wantErr  bool
	}{
		{in: ""},
		{in: `{"userinfo":{"name":{"essential":true}}}`, userinfo: []string{"name"}},
		{in: `{"userinfo":{"name":null,"email":null},"id_token":{"auth_time":{"essential":true}}}`,
			userinfo: []string{"email", "name"}, idToken: []string{"auth_time"}},
		{in: `{"unknown_target":{"name":null}}`},
		{in: `not json`, wantErr: true},
		{in: `{"userinfo":["name"]}`, wantErr: true},
		{in: `{"userinfo":{"name":"yes"}}`, wantErr: true},
		{in: `[]`, wantErr: true},
		{in: `{"userinfo":{"name":null}}` + strings.Repeat(" ", maxClaimsRequest), wantErr: true},
		{in: "{\"id_token\":{\"\x8e\":{}}}", wantErr: true},
		{in: "{\"userinfo\":{\"name\":{\"value\":\"\xff\"}}}", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseClaimsRequest(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseClaimsRequest(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !slices.Equal(got.Userinfo, tt.userinfo) || !slices.Equal(got.IDToken, tt.idToken) {
			t.Errorf("parseClaimsRequest(%q) = %+v, want userinfo %v id_token %v", tt.in, got, tt.userinfo, tt.idToken)
		}
	}
}

// TestAddedScopes: a claims request adds exactly the registered scopes
// that carry a named claim and are not already requested, and only to an
// OpenID request.
func TestAddedScopes(t *testing.T) {
	all := []string{"openid", "profile", "email", "roles"}
	tests := []struct {
		req        claimsRequest
		requested  []string
		registered []string
		want       []string
	}{
		{claimsRequest{IDToken: []string{"email"}}, []string{"openid"}, all, []string{"email"}},
		{claimsRequest{Userinfo: []string{"email_verified", "roles"}, IDToken: []string{"name"}}, []string{"openid"}, all, []string{"profile", "email", "roles"}},
		{claimsRequest{IDToken: []string{"email"}}, []string{"openid", "email"}, all, nil},
		{claimsRequest{IDToken: []string{"email", "roles"}}, []string{"openid"}, []string{"openid", "email"}, []string{"email"}},
		{claimsRequest{IDToken: []string{"email"}}, []string{"profile"}, all, nil},
		{claimsRequest{IDToken: []string{"sub", "auth_time", "acr"}, Userinfo: []string{"unknown"}}, []string{"openid"}, all, nil},
		{claimsRequest{}, []string{"openid"}, all, nil},
	}
	for _, tt := range tests {
		if got := AddedScopes(tt.req, tt.requested, tt.registered); !slices.Equal(got, tt.want) {
			t.Errorf("AddedScopes(%+v, %v, %v) = %v, want %v", tt.req, tt.requested, tt.registered, got, tt.want)
		}
	}
}

// FuzzParseClaimsRequest: the parameter is untrusted; parsing must never
// panic, invalid UTF-8 is refused, and a successful parse only ever yields
// valid UTF-8 names present in the input.
func FuzzParseClaimsRequest(f *testing.F) {
	f.Add(`{"userinfo":{"name":{"essential":true}}}`)
	f.Add(`{"id_token":{"acr":{"values":["a","b"]}},"userinfo":null}`)
	f.Add(`{"userinfo":{"":null}}`)
	f.Add("{\"id_token\":{\"\x8e\":{}}}")
	f.Fuzz(func(t *testing.T, s string) {
		req, err := parseClaimsRequest(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("accepted invalid UTF-8 %q", s)
		}
		for _, n := range append(req.Userinfo, req.IDToken...) {
			if !utf8.ValidString(n) {
				t.Fatalf("claim name %q is not valid UTF-8", n)
			}
			if n != "" && !strings.Contains(s, n) && !strings.Contains(s, "\\") {
				t.Fatalf("claim %q not in input %q", n, s)
			}
		}
	})
}
