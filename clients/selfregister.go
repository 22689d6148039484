package clients

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/idp/idp"
)

// DefaultRegistrationScopes are the scopes a client registering itself
// (RFC 7591) may ask for unless the operator sets another allow-list: what
// a relying party needs to sign members in and stay signed in. roles is
// left out because it tells an application the member's standing at the
// provider, which an operator grants to apps they know.
var DefaultRegistrationScopes = []string{idp.ScopeOpenID, idp.ScopeProfile, idp.ScopeEmail, idp.ScopeOfflineAccess}

// ValidateRegistrationScopes checks an allow-list of scopes for
// self-registered clients: scope tokens, no duplicates, and never
// idp:admin, which would let anyone who can register a client
// administer the provider. Errors are *FieldError for field.
func ValidateRegistrationScopes(field string, allowed []string) error {
	errs := checkList(field, allowed, func(s string) string {
		switch {
		case s == idp.ScopeAdmin:
			return "the admin scope can never be granted to self-registered clients"
		case !isScopeToken(s):
			return "not a scope token (RFC 6749 §3.3)"
		}
		return ""
	})
	return errors.Join(errs...)
}

// Bounds of a self-registered client, so that anyone allowed to register
// cannot make the provider store or show more than a real application
// needs: the name appears on the consent page, and every redirect URI is
// compared at each authorization request.
const (
	MaxSelfRegisteredName = 100
	MaxSelfRegisteredURIs = 10
)

// ValidateSelfRegistered applies the rules for clients that register
// themselves (RFC 7591), on top of Validate: every scope within allowed
// and never idp:admin even if allowed lists it; no consent skipping,
// plain OAuth, audience or introspection rights, which only the operator
// grants; a bounded name and bounded lists. Errors are *FieldError,
// joined.
func ValidateSelfRegistered(c idp.Client, allowed []string) error {
	errs := checkList("scopes", c.Scopes, func(s string) string {
		if s == idp.ScopeAdmin || !slices.Contains(allowed, s) {
			return fmt.Sprintf("not allowed for self-registered clients; allowed: %q", allowed)
		}
		return ""
	})
	add := func(field, msg string) { errs = append(errs, &FieldError{Field: field, Msg: msg}) }
	if n := utf8.RuneCountInString(c.Name); n > MaxSelfRegisteredName {
		add("name", fmt.Sprintf("at most %d characters, got %d", MaxSelfRegisteredName, n))
	}
	if strings.ContainsFunc(c.Name, unicode.IsControl) {
		add("name", "must not contain control characters")
	}
	for field, list := range map[string][]string{"redirect_uris": c.RedirectURIs, "post_logout_redirect_uris": c.PostLogoutRedirectURIs} {
		if len(list) > MaxSelfRegisteredURIs {
			add(field, fmt.Sprintf("at most %d URIs, got %d", MaxSelfRegisteredURIs, len(list)))
		}
	}
	switch {
	case c.SkipConsent:
		add("skip_consent", "only the operator may exempt a client from consent")
	case c.AllowPlainOAuth:
		add("allow_plain_oauth", "self-registered clients always use PKCE")
	case len(c.Audience) > 0:
		add("audience", "only the operator may set a client's audience")
	case c.Introspection != "":
		add("introspection", "only the operator may grant introspection")
	}
	return errors.Join(errs...)
}
