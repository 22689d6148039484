package idp

// Scopes the provider serves. Every list of supported scopes (discovery,
// registration defaults, the consent page, claim release) is built from
// these, so a new scope is added here once.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopePhone         = "phone"   // phone_number, phone_number_verified (OpenID Connect Core §5.4)
	ScopeAddress       = "address" // the structured address claim (§5.4)
	ScopeRoles         = "roles"
	ScopeOfflineAccess = "offline_access"
	// ScopeAdmin grants the admin API (/admin/v1). It is never part of
	// SupportedScopes: no client gets it by default, no self-registered
	// client may ask for it, and discovery does not offer it.
	ScopeAdmin = "idp:admin"
)

// SupportedScopes returns every scope the provider serves, in the order
// discovery and the consent page list them. The slice is new on each call,
// so callers may keep or modify it.
func SupportedScopes() []string {
	return []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopePhone, ScopeAddress, ScopeRoles, ScopeOfflineAccess}
}

// SupportedGrants returns every OAuth 2.0 grant type the token endpoint
// accepts, as a new slice.
func SupportedGrants() []string {
	return []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode}
}
