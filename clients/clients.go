// Package clients holds the registration rules for OAuth clients: which
// combinations of grant types, response types, authentication methods and
// redirect URIs the provider accepts, and how client secrets are made,
// hashed and checked.
//
// Every writer of clients (the command line, the bootstrap loader, any
// administrative API) calls Normalize and then Validate before it stores a
// client, so a stored client is always one the provider can serve safely.
package clients

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/idp/idp"
)

// FieldError is one broken registration rule. Field names the setting the
// way the bootstrap file spells it, with the index for list entries
// ("redirect_uris[1]"). It wraps idp.ErrInvalid.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap lets callers test for idp.ErrInvalid.
func (e *FieldError) Unwrap() error { return idp.ErrInvalid }

// ResponseTypeCode is the only response type the provider serves: the
// authorization code flow (RFC 6749 §4.1). The implicit and hybrid flows
// are not offered (RFC 9700 §2.1.2).
const ResponseTypeCode = "code"

// Normalize fills the defaults a registration may leave out: the "code"
// response type for a client of the authorization code grant, and the token
// endpoint authentication method implied by whether the client has a secret
// (client_secret_basic, the method every server must support per RFC 6749
// §2.3.1, or none for a public client).
func Normalize(c *idp.Client) {
	if len(c.ResponseTypes) == 0 && slices.Contains(c.GrantTypes, idp.GrantAuthorizationCode) {
		c.ResponseTypes = []string{ResponseTypeCode}
	}
	if c.TokenEndpointAuthMethod == "" {
		if c.Public() {
			c.TokenEndpointAuthMethod = idp.AuthMethodNone
		} else {
			c.TokenEndpointAuthMethod = idp.AuthMethodBasic
		}
	}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

var (
	grantTypes    = []string{idp.GrantAuthorizationCode, idp.GrantRefreshToken, idp.GrantClientCredentials, idp.GrantDeviceCode}
	responseTypes = []string{ResponseTypeCode}
	authMethods   = []string{idp.AuthMethodBasic, idp.AuthMethodPost, idp.AuthMethodNone, idp.AuthMethodPrivateKeyJWT}
)

// Validate checks c against every registration rule and reports all the
// broken ones at once, joined with errors.Join; each is a *FieldError
// wrapping idp.ErrInvalid. It does not modify c: call Normalize first to
// fill defaults.
func Validate(c idp.Client) error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(c.ID) {
		add("id", "%q: must be 1 to 128 letters, digits, '.', '_' or '-'", c.ID)
	}
	errs = append(errs, validateGrants(c)...)
	errs = append(errs, validateAuthMethod(c)...)
	errs = append(errs, checkURIs("redirect_uris", c.RedirectURIs, true)...)
	errs = append(errs, checkURIs("post_logout_redirect_uris", c.PostLogoutRedirectURIs, true)...)
	if c.BackchannelLogoutURI != "" {
		// The provider POSTs logout tokens here itself, so only an
		// http(s) URL can work: no private-use scheme.
		if msg := checkURI(c.BackchannelLogoutURI, false); msg != "" {
			add("backchannel_logout_uri", "%q: %s", c.BackchannelLogoutURI, msg)
		}
	}
	checkProtocol(c, add)
	switch {
	case c.Introspection != "" && c.Introspection != idp.IntrospectionAll:
		add("introspection", "%q: want empty (own tokens only) or %q", c.Introspection, idp.IntrospectionAll)
	case c.Introspection != "" && c.Public():
		add("introspection", "a public client cannot authenticate to introspect tokens")
	}
	errs = append(errs, checkList("scopes", c.Scopes, func(s string) string {
		if !isScopeToken(s) {
			return "not a scope token (RFC 6749 §3.3): printable ASCII without spaces, '\"' or '\\'"
		}
		return ""
	})...)
	errs = append(errs, checkList("audience", c.Audience, func(s string) string {
		if s == "" || !printable(s) {
			return "must be non-empty, without spaces or control characters"
		}
		return ""
	})...)
	return errors.Join(errs...)
}

// validateGrants checks the grant and response types and the rules that tie
// them to the rest of the registration.
func validateGrants(c idp.Client) []error {
	errs := checkList("grant_types", c.GrantTypes, oneOf(grantTypes, "grant type"))
	errs = append(errs, checkList("response_types", c.ResponseTypes, oneOf(responseTypes, "response type"))...)
	add := func(field, msg string) { errs = append(errs, &FieldError{Field: field, Msg: msg}) }
	hasCode := slices.Contains(c.GrantTypes, idp.GrantAuthorizationCode)
	switch {
	case len(c.GrantTypes) == 0:
		add("grant_types", "at least one grant type is required")
	case hasCode && !slices.Contains(c.ResponseTypes, ResponseTypeCode):
		add("response_types", `must include "code" for the authorization_code grant`)
	case !hasCode && len(c.ResponseTypes) > 0:
		add("response_types", "must be empty without the authorization_code grant")
	}
	if hasCode && len(c.RedirectURIs) == 0 {
		add("redirect_uris", "the authorization_code grant needs at least one redirect URI")
	}
	// A member's grant (a code or a device authorization) may be kept
	// alive with refresh tokens; client credentials may not.
	if slices.Contains(c.GrantTypes, idp.GrantRefreshToken) && !hasCode && !slices.Contains(c.GrantTypes, idp.GrantDeviceCode) {
		add("grant_types", "refresh_token needs authorization_code or the device_code grant (RFC 6749 §4.4.3: no refresh tokens for client_credentials)")
	}
	if slices.Contains(c.GrantTypes, idp.GrantClientCredentials) && c.Public() {
		add("grant_types", "client_credentials needs a client secret (RFC 6749 §4.4)")
	}
	return errs
}

// validateAuthMethod checks that the token endpoint authentication method
// is known and agrees with whether the client has a secret.
func validateAuthMethod(c idp.Client) []error {
	m := c.TokenEndpointAuthMethod
	var msg string
	switch {
	case !slices.Contains(authMethods, m):
		msg = fmt.Sprintf("%q: unknown method; want one of %q", m, authMethods)
	case m == idp.AuthMethodPrivateKeyJWT && c.SecretHash != "":
		msg = `"private_key_jwt" clients authenticate with a key and have no secret`
	case m == idp.AuthMethodNone && !c.Public():
		msg = `"none" is only for public clients, but this client has a secret`
	case m != idp.AuthMethodNone && c.Public():
		msg = fmt.Sprintf("%q needs a client secret; a public client uses \"none\"", m)
	default:
		return nil
	}
	return []error{&FieldError{Field: "token_endpoint_auth_method", Msg: msg}}
}

// checkList applies check to every entry, naming the entry by index, and
// refuses duplicates, which are always a mistake in a registration.
func checkList(field string, list []string, check func(string) string) []error {
	var errs []error
	for i, v := range list {
		name := fmt.Sprintf("%s[%d]", field, i)
		if msg := check(v); msg != "" {
			errs = append(errs, &FieldError{Field: name, Msg: fmt.Sprintf("%q: %s", v, msg)})
		}
		if j := slices.Index(list, v); j < i {
			errs = append(errs, &FieldError{Field: name, Msg: fmt.Sprintf("%q: duplicate of %s[%d]", v, field, j)})
		}
	}
	return errs
}

func oneOf(allowed []string, what string) func(string) string {
	return func(s string) string {
		if slices.Contains(allowed, s) {
			return ""
		}
		return fmt.Sprintf("unknown %s; want one of %q", what, allowed)
	}
}

// isScopeToken reports whether s is a scope-token of RFC 6749 §3.3:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}

// printable reports whether s has no white space and no control
// characters.
func printable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}
