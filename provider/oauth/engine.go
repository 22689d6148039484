// Package oauth is the provider's OAuth 2.0 and OpenID Connect engine:
// fosite composed with exactly the grants offered, the adapter of fosite's
// storage interfaces over storage.Store, the client and session types
// fosite sees, PKCE, the refresh token reuse interval and the kid-aware
// JWT signer. It serves no HTTP route itself: the endpoint handlers in
// package provider call it. A new grant (PAR, device grant, DPoP) goes
// here. It is the only package that imports fosite's handlers and
// go-jose v3.
package oauth

import (
	"context"
	"html/template"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
)

// Config is what the engine needs; every field is the provider's setting
// of the same name, already defaulted and validated.
type Config struct {
	Issuer   string
	TokenURL string
	Store    *storage.Store
	Secret   []byte
	Keys     *keys.Ring
	Now      func() time.Time

	AuthorizeCodeLifespan time.Duration
	AccessTokenLifespan   time.Duration
	IDTokenLifespan       time.Duration
	RefreshTokenLifespan  time.Duration
	RefreshReuseInterval  time.Duration
	// PARLifespan is how long a pushed request_uri may be used (RFC 9126).
	PARLifespan time.Duration
	// AllowPlainOAuth relaxes PKCE for every confidential client.
	AllowPlainOAuth bool

	// Verifier checks client secrets (through the KDF limiter);
	// Authenticate is the client authentication strategy of the token,
	// revocation and introspection endpoints.
	Verifier     *clients.Verifier
	Authenticate fosite.ClientAuthenticationStrategy
	// FormPost is the page of response_mode=form_post.
	FormPost *template.Template
	// DeviceCodeLifespan and DeviceInterval are the life of a device
	// authorization and the first wait between polls (RFC 8628 §3.2).
	DeviceCodeLifespan, DeviceInterval time.Duration
}

// Engine is fosite's OAuth2Provider composed over the store, with what
// the endpoint handlers need beside it.
type Engine struct {
	fosite.OAuth2Provider
	// Signer signs every token and verifies by kid across rotations.
	Signer *Signer

	cfg   Config
	store *fositeStore
	// keys are private_key_jwt clients' public keys.
	keys *keySource
	// refreshSignature names the row of a refresh token, as fosite does.
	refreshSignature func(ctx context.Context, token string) string
	// userCodeKey keys the HMAC of device user codes (keys.PurposeUserCode).
	userCodeKey []byte
}

// New builds the engine. The signer is built once, here, and shared by
// every token strategy.
func New(cfg Config) *Engine {
	e := &Engine{cfg: cfg, Signer: newSigner(cfg.Keys), userCodeKey: keys.Derive(cfg.Secret, keys.PurposeUserCode), keys: newKeySource(cfg.Now)}
	e.store = &fositeStore{
		store:      cfg.Store,
		clients:    &clientCache{store: cfg.Store, now: cfg.Now, entries: map[string]cachedClient{}},
		successors: keys.NewBox(cfg.Secret, keys.PurposeSuccessor),
		now:        cfg.Now, reuseInterval: cfg.RefreshReuseInterval, parLifespan: cfg.PARLifespan,
	}
	e.OAuth2Provider = e.compose()
	e.refreshSignature = compose.NewOAuth2HMACStrategy(e.OAuth2Provider.(*fosite.Fosite).Config).RefreshTokenSignature
	return e
}

// Client returns the registered client, from a cache at most
// clientCacheTTL old; an unknown id is idp.ErrNotFound.
func (e *Engine) Client(ctx context.Context, id string) (idp.Client, error) {
	return e.store.clients.get(ctx, id)
}

// ClientName is the client's display name for a page, or its id when it
// has none or cannot be read.
func (e *Engine) ClientName(ctx context.Context, id string) string {
	if c, err := e.Client(ctx, id); err == nil && c.Name != "" {
		return c.Name
	}
	return id
}

// RevokeRefreshToken revokes every refresh token of the grant requestID.
func (e *Engine) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return e.store.RevokeRefreshToken(ctx, requestID)
}

// compose composes fosite with exactly the grants this provider offers:
// authorization code with PKCE (S256 only) and OpenID Connect, refresh
// tokens, client credentials, introspection and revocation. Access tokens
// are RS256 JWTs (RFC 9068); codes and refresh tokens stay opaque HMAC
// tokens, so they can be revoked and never leak claims.
func (e *Engine) compose() fosite.OAuth2Provider {
	cfg, store, sig := e.cfg, e.store, e.Signer
	fc := &fosite.Config{
		AccessTokenLifespan:   cfg.AccessTokenLifespan,
		RefreshTokenLifespan:  cfg.RefreshTokenLifespan,
		AuthorizeCodeLifespan: cfg.AuthorizeCodeLifespan,
		IDTokenLifespan:       cfg.IDTokenLifespan,
		IDTokenIssuer:         cfg.Issuer,
		AccessTokenIssuer:     cfg.Issuer,
		TokenURL:              cfg.TokenURL,
		ScopeStrategy:         fosite.ExactScopeStrategy,
		// Set here, not left to fosite: its getter fills a nil strategy in
		// on first use, a write that races between concurrent requests.
		AudienceMatchingStrategy: fosite.DefaultAudienceMatchingStrategy,
		// PKCE: S256 only; required for public clients by fosite and for
		// every other client by authflow.Handlers.HandleAuthorize unless relaxed.
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
		JWTScopeClaimKey:               jwt.JWTScopeFieldString,
		GlobalSecret:                   keys.Derive(cfg.Secret, keys.PurposeHMAC),
		ClientSecretsHasher:            secretHasher{cfg.Verifier},
		ClientAuthenticationStrategy:   cfg.Authenticate,
		// The token endpoint compares redirect_uri with the one the code
		// was issued for (RFC 6749 §4.1.3), so the stored code keeps it.
		SanitationWhiteList: []string{"redirect_uri"},
		RefreshTokenScopes:  []string{idp.ScopeOfflineAccess},
		AllowedPromptValues: []string{"login", "none", "consent", "select_account"},
		MinParameterEntropy: fosite.MinParameterEntropy,
		// fosite's own page submits with an inline onload handler, which
		// the provider's Content-Security-Policy blocks.
		FormPostHTMLTemplate: cfg.FormPost,
		// PAR (RFC 9126): whether a client must push is decided by
		// authflow (per client or for all), not by fosite's switch, which
		// would refuse the parked request replayed after the login.
		PushedAuthorizeRequestURIPrefix: PARPrefix,
		PushedAuthorizeContextLifespan:  cfg.PARLifespan,
	}
	// Both token strategies sign through the keyring, never a fixed key.
	strategy := &compose.CommonStrategy{
		CoreStrategy: &oauth2.DefaultJWTStrategy{
			Signer: sig, HMACSHAStrategy: compose.NewOAuth2HMACStrategy(fc), Config: fc,
		},
		OpenIDConnectTokenStrategy: &openid.DefaultStrategy{Signer: sig, Config: fc},
		Signer:                     sig,
	}
	return compose.Compose(fc, store, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		e.deviceFactory(strategy),
		compose.PushedAuthorizeHandlerFactory,
		func(c fosite.Configurator, s, st interface{}) interface{} {
			return &pkceHandler{
				Handler:  compose.OAuth2PKCEFactory(c, s, st).(*pkce.Handler),
				required: e.PKCERequired, burn: store.burnCode,
			}
		},
	)
}
