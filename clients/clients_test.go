package clients

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/idp/idp"
)

// webApp is a valid confidential client of the authorization code grant.
func webApp() idp.Client {
	return idp.Client{
		ID:                      "demo-rp",
		Name:                    "Demo",
		SecretHash:              "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		RedirectURIs:            []string{"https://app.example/cb", "http://localhost:5555/callback"},
		PostLogoutRedirectURIs:  []string{"https://app.example/"},
		GrantTypes:              []string{idp.GrantAuthorizationCode, idp.GrantRefreshToken},
		ResponseTypes:           []string{"code"},
		Scopes:                  []string{"openid", "profile", "offline_access"},
		Audience:                []string{"https://api.example"},
		TokenEndpointAuthMethod: idp.AuthMethodBasic,
		BackchannelLogoutURI:    "https://app.example/backchannel-logout",
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         idp.Client
		wantResp   []string
		wantMethod string
	}{
		{"confidential code client", idp.Client{SecretHash: "h", GrantTypes: []string{"authorization_code"}},
			[]string{"code"}, idp.AuthMethodBasic},
		{"public code client", idp.Client{GrantTypes: []string{"authorization_code", "refresh_token"}},
			[]string{"code"}, idp.AuthMethodNone},
		{"service", idp.Client{SecretHash: "h", GrantTypes: []string{"client_credentials"}},
			nil, idp.AuthMethodBasic},
		{"explicit values kept", idp.Client{SecretHash: "h", GrantTypes: []string{"authorization_code"},
			ResponseTypes: []string{"token"}, TokenEndpointAuthMethod: idp.AuthMethodPost},
			[]string{"token"}, idp.AuthMethodPost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.in
			Normalize(&c)
			if !slices.Equal(c.ResponseTypes, tc.wantResp) || c.TokenEndpointAuthMethod != tc.wantMethod {
				t.Fatalf("Normalize = %q, %q; want %q, %q", c.ResponseTypes, c.TokenEndpointAuthMethod, tc.wantResp, tc.wantMethod)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	public := webApp()
	public.SecretHash, public.TokenEndpointAuthMethod = "", idp.AuthMethodNone
	public.RedirectURIs = []string{"com.example.app:/oauth2redirect", "http://127.0.0.1:49152/cb", "http://[::1]/cb", "http://app.localhost/cb"}
	service := idp.Client{ID: "svc_1.a", SecretHash: "h", GrantTypes: []string{idp.GrantClientCredentials},
		TokenEndpointAuthMethod: idp.AuthMethodPost, Scopes: []string{"read:all", "a!#$%&'()*+,-./:;<=>?@[]^_`{|}~"},
		Introspection: idp.IntrospectionAll}
	// A device (RFC 8628) needs no redirect URI and may refresh.
	device := idp.Client{ID: "tv", GrantTypes: []string{idp.GrantDeviceCode, idp.GrantRefreshToken},
		TokenEndpointAuthMethod: idp.AuthMethodNone, Scopes: []string{"openid", "offline_access"}}
	for name, c := range map[string]idp.Client{"web app": webApp(), "native app": public, "service": service, "device": device} {
		if err := Validate(c); err != nil {
			t.Errorf("%s: Validate: %v", name, err)
		}
	}
}

func TestValidateRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *idp.Client)
		want   string
	}{
		{"empty id", func(c *idp.Client) { c.ID = "" }, `id: "": must be`},
		{"id with space", func(c *idp.Client) { c.ID = "a b" }, `id: "a b": must be`},
		{"id too long", func(c *idp.Client) { c.ID = strings.Repeat("a", 129) }, `id: "aaaa`},
		{"unknown grant", func(c *idp.Client) { c.GrantTypes = []string{"authorization_code", "password"} },
			`grant_types[1]: "password": unknown grant type`},
		{"implicit", func(c *idp.Client) { c.GrantTypes = append(c.GrantTypes, "implicit") },
			`grant_types[2]: "implicit": unknown grant type`},
		{"duplicate grant", func(c *idp.Client) { c.GrantTypes = append(c.GrantTypes, "refresh_token") },
			`grant_types[2]: "refresh_token": duplicate of grant_types[1]`},
		{"no grants", func(c *idp.Client) { c.GrantTypes, c.ResponseTypes = nil, nil },
			"grant_types: at least one grant type is required"},
		{"token response type", func(c *idp.Client) { c.ResponseTypes = []string{"code", "token"} },
			`response_types[1]: "token": unknown response type`},
		{"code grant without code response", func(c *idp.Client) { c.ResponseTypes = nil },
			`response_types: must include "code"`},
		{"code response without code grant", func(c *idp.Client) {
			c.GrantTypes = []string{"client_credentials"}
		}, "response_types: must be empty without the authorization_code grant"},
		{"unknown auth method", func(c *idp.Client) { c.TokenEndpointAuthMethod = "client_secret_jwt" },
			`token_endpoint_auth_method: "client_secret_jwt": unknown method`},
		{"private_key_jwt with a secret", func(c *idp.Client) { c.TokenEndpointAuthMethod = "private_key_jwt" },
			`token_endpoint_auth_method: "private_key_jwt" clients authenticate with a key and have no secret`},
		{"empty auth method", func(c *idp.Client) { c.TokenEndpointAuthMethod = "" },
			`token_endpoint_auth_method: "": unknown method`},
		{"none with secret", func(c *idp.Client) { c.TokenEndpointAuthMethod = "none" },
			`token_endpoint_auth_method: "none" is only for public clients`},
		{"basic without secret", func(c *idp.Client) { c.SecretHash = "" },
			`token_endpoint_auth_method: "client_secret_basic" needs a client secret`},
		{"public client credentials", func(c *idp.Client) {
			c.SecretHash, c.TokenEndpointAuthMethod = "", "none"
			c.GrantTypes, c.ResponseTypes = []string{"client_credentials"}, nil
		}, "grant_types: client_credentials needs a client secret"},
		{"code grant without redirect", func(c *idp.Client) { c.RedirectURIs = nil },
			"redirect_uris: the authorization_code grant needs at least one redirect URI"},
		{"refresh without code", func(c *idp.Client) {
			c.GrantTypes, c.ResponseTypes = []string{"client_credentials", "refresh_token"}, nil
		}, "grant_types: refresh_token needs authorization_code"},
		{"http to a remote host", func(c *idp.Client) { c.RedirectURIs[1] = "http://evil.example/cb" },
			`redirect_uris[1]: "http://evil.example/cb": http is allowed only for loopback or localhost hosts`},
		{"http to localhost lookalike", func(c *idp.Client) { c.RedirectURIs[1] = "http://localhost.evil.example/cb" },
			`redirect_uris[1]: "http://localhost.evil.example/cb": http is allowed only`},
		{"http to another loopback address", func(c *idp.Client) { c.RedirectURIs[1] = "http://127.0.0.2/cb" },
			`redirect_uris[1]: "http://127.0.0.2/cb": http is allowed only`},
		{"relative", func(c *idp.Client) { c.RedirectURIs[0] = "/cb" }, `redirect_uris[0]: "/cb": must be an absolute URI`},
		{"comma list", func(c *idp.Client) { c.RedirectURIs[0] = "https://a.example/cb,https://b.example/cb" },
			`redirect_uris[0]: "https://a.example/cb,https://b.example/cb": must not contain a comma`},
		{"space", func(c *idp.Client) { c.RedirectURIs[0] = "https://a.example/c b" }, "must not contain a comma, white space"},
		{"control", func(c *idp.Client) { c.RedirectURIs[0] = "https://a.example/cb\x00" }, "control characters"},
		{"logout comma", func(c *idp.Client) { c.PostLogoutRedirectURIs = []string{"https://a.example/,x"} },
			`post_logout_redirect_uris[0]: "https://a.example/,x": must not contain a comma`},
		{"backchannel space", func(c *idp.Client) { c.BackchannelLogoutURI = "https://a.example/ bcl" },
			"backchannel_logout_uri"},
		{"fragment", func(c *idp.Client) { c.RedirectURIs[0] = "https://app.example/cb#x" },
			`redirect_uris[0]: "https://app.example/cb#x": must not contain a fragment`},
		{"empty fragment", func(c *idp.Client) { c.RedirectURIs[0] = "https://app.example/cb#" },
			"must not contain a fragment"},
		{"userinfo", func(c *idp.Client) { c.RedirectURIs[0] = "https://user:pw@app.example/cb" },
			"must not contain user information"},
		{"https without host", func(c *idp.Client) { c.RedirectURIs[0] = "https:///cb" }, "must name a host"},
		{"javascript", func(c *idp.Client) { c.RedirectURIs[0] = "javascript:alert(1)" },
			`redirect_uris[0]: "javascript:alert(1)": scheme "javascript"`},
		{"unparsable", func(c *idp.Client) { c.RedirectURIs[0] = "https://app.example/%zz" }, "not a valid URI"},
		{"duplicate redirect", func(c *idp.Client) { c.RedirectURIs = append(c.RedirectURIs, "https://app.example/cb") },
			`redirect_uris[2]: "https://app.example/cb": duplicate of redirect_uris[0]`},
		{"post-logout http", func(c *idp.Client) { c.PostLogoutRedirectURIs = []string{"http://app.example/"} },
			`post_logout_redirect_uris[0]: "http://app.example/": http is allowed only`},
		{"backchannel http", func(c *idp.Client) { c.BackchannelLogoutURI = "http://app.example/bc" },
			`backchannel_logout_uri: "http://app.example/bc": http is allowed only`},
		{"backchannel private-use scheme", func(c *idp.Client) { c.BackchannelLogoutURI = "com.example.app:/bc" },
			`backchannel_logout_uri: "com.example.app:/bc": scheme "com.example.app": want https`},
		{"scope with space", func(c *idp.Client) { c.Scopes = []string{"openid profile"} },
			`scopes[0]: "openid profile": not a scope token`},
		{"scope with quote", func(c *idp.Client) { c.Scopes = []string{"openid", `a"b`} }, `scopes[1]:`},
		{"scope with backslash", func(c *idp.Client) { c.Scopes = []string{`a\b`} }, `scopes[0]:`},
		{"empty scope", func(c *idp.Client) { c.Scopes = []string{""} }, `scopes[0]: "": not a scope token`},
		{"non-ASCII scope", func(c *idp.Client) { c.Scopes = []string{"prófile"} }, `scopes[0]:`},
		{"empty audience", func(c *idp.Client) { c.Audience = []string{""} }, `audience[0]: "": must be non-empty`},
		{"audience with space", func(c *idp.Client) { c.Audience = []string{"a", "b c"} }, `audience[1]: "b c":`},
		{"unknown introspection", func(c *idp.Client) { c.Introspection = "own" },
			`introspection: "own": want empty (own tokens only) or "all"`},
		{"public resource server", func(c *idp.Client) {
			c.SecretHash, c.TokenEndpointAuthMethod, c.Introspection = "", "none", "all"
		}, "introspection: a public client cannot authenticate"},
		{"audience with tab", func(c *idp.Client) { c.Audience = []string{"b\tc"} }, `audience[0]:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := webApp()
			tc.change(&c)
			err := Validate(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v; want an error containing %q", err, tc.want)
			}
			if !errors.Is(err, idp.ErrInvalid) {
				t.Fatalf("Validate = %v; want it to wrap idp.ErrInvalid", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := webApp()
	c.ID = ""
	c.RedirectURIs = []string{"http://evil.example/cb", "https://ok.example/cb", "ftp://x/"}
	c.Scopes = []string{"a b"}
	err := Validate(c)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %v is not a *FieldError", e)
		}
		fields = append(fields, fe.Field)
	}
	want := []string{"id", "redirect_uris[0]", "redirect_uris[2]", "scopes[0]"}
	if !slices.Equal(fields, want) {
		t.Fatalf("fields = %q, want %q (error: %v)", fields, want, err)
	}
}

// TestDefaultScopesLeavePhoneAndAddressOut: a registration without scopes
// gets every served scope but phone and address, which a client receives
// only when its registration names them.
func TestDefaultScopesLeavePhoneAndAddressOut(t *testing.T) {
	c := idp.Client{ID: "x", RedirectURIs: []string{"https://x.example/cb"}}
	Prepare(&c, true)
	for _, s := range idp.SupportedScopes() {
		if want := s != idp.ScopePhone && s != idp.ScopeAddress; slices.Contains(c.Scopes, s) != want {
			t.Errorf("default scopes %v: %s included = %v, want %v", c.Scopes, s, !want, want)
		}
	}
}
