package idp

import "time"

// Token endpoint authentication methods (OpenID Connect Core §9).
const (
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
	AuthMethodNone  = "none"
	// AuthMethodPrivateKeyJWT authenticates with a JWT signed by one of the
	// client's registered keys (RFC 7523, OpenID Connect Core §9).
	AuthMethodPrivateKeyJWT = "private_key_jwt"
)

// Grant types a client may be registered for (RFC 6749).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	// GrantDeviceCode is the device authorization grant (RFC 8628).
	GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
)

// IntrospectionAll registers a client as a resource server that may learn
// whether any token is active, not only its own.
const IntrospectionAll = "all"

// Client is an application registered with the provider. The registration
// rules (what makes a client valid) live in package clients.
type Client struct {
	ID   string
	Name string
	// SecretHash is a PHC-formatted hash of the client secret, empty for a
	// public client.
	SecretHash string
	// RedirectURIs are compared exactly (RFC 9700 §4.1.3), byte for byte.
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	ResponseTypes          []string
	Scopes                 []string
	// Audience lists the resource servers the client's access tokens are
	// meant for; the first is used when the request names none.
	Audience                []string
	TokenEndpointAuthMethod string
	// SkipConsent marks a first-party app: members are not asked to approve
	// its scopes.
	SkipConsent bool
	// AllowPlainOAuth lets a legacy confidential client use the
	// authorization code flow without PKCE. Public clients never may.
	AllowPlainOAuth bool
	// BackchannelLogoutURI receives a logout token when a session the client
	// took part in ends (OpenID Connect Back-Channel Logout 1.0).
	BackchannelLogoutURI string
	// Introspection is empty for a client that may introspect only tokens
	// issued to it or naming it in their audience, or IntrospectionAll for
	// a resource server that may introspect every token (RFC 7662 §4).
	Introspection string
	// JWKS is the client's public key set as JSON (RFC 7517), inline, and
	// JWKSURI where it is fetched from instead; either verifies
	// private_key_jwt assertions. TokenEndpointAuthSigningAlg is the one
	// algorithm those assertions may use.
	JWKS                        string
	JWKSURI                     string
	TokenEndpointAuthSigningAlg string
	// RequirePAR makes the client's authorization requests go through the
	// pushed authorization endpoint (RFC 9126 §6).
	RequirePAR bool
	// DPoPBoundAccessTokens makes the client prove possession of a key for
	// every access token (RFC 9449 §5.2).
	DPoPBoundAccessTokens bool
	// IDTokenSignedResponseAlg and AccessTokenSignedResponseAlg choose the
	// signing algorithm of the client's tokens; empty means RS256.
	IDTokenSignedResponseAlg     string
	AccessTokenSignedResponseAlg string
	// RequireMFA makes members who sign in to this client pass a second
	// factor (enrolling one first if they have none).
	RequireMFA bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Public reports whether the client can prove nothing at the token
// endpoint, so must use PKCE: it has no secret and does not authenticate
// with a key (private_key_jwt, RFC 7523), whose clients hold no secret.
func (c Client) Public() bool {
	return c.SecretHash == "" && c.TokenEndpointAuthMethod != AuthMethodPrivateKeyJWT
}
