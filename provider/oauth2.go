package provider

import (
	"html/template"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
)

// newOAuth2 composes fosite with exactly the grants this provider offers:
// authorization code with PKCE (S256 only) and OpenID Connect, refresh
// tokens, client credentials, introspection and revocation. Access tokens
// are RS256 JWTs (RFC 9068); codes and refresh tokens stay opaque HMAC
// tokens, so they can be revoked and never leak claims.
func newOAuth2(cfg Config, store *fositeStore, sig *signer, hasher fosite.Hasher, auth fosite.ClientAuthenticationStrategy, pkceRequired func(client) bool, formPost *template.Template) fosite.OAuth2Provider {
	fc := &fosite.Config{
		AccessTokenLifespan:   cfg.AccessTokenLifespan,
		RefreshTokenLifespan:  cfg.RefreshTokenLifespan,
		AuthorizeCodeLifespan: cfg.AuthorizeCodeLifespan,
		IDTokenLifespan:       cfg.IDTokenLifespan,
		IDTokenIssuer:         cfg.Issuer,
		AccessTokenIssuer:     cfg.Issuer,
		TokenURL:              cfg.Issuer + pathToken,
		ScopeStrategy:         fosite.ExactScopeStrategy,
		// PKCE: S256 only; required for public clients by fosite and for
		// every other client by handleAuthorize unless relaxed.
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
		JWTScopeClaimKey:               jwt.JWTScopeFieldString,
		GlobalSecret:                   keys.Derive(cfg.Secret, keys.PurposeHMAC),
		ClientSecretsHasher:            hasher,
		ClientAuthenticationStrategy:   auth,
		// The token endpoint compares redirect_uri with the one the code
		// was issued for (RFC 6749 §4.1.3), so the stored code keeps it.
		SanitationWhiteList: []string{"redirect_uri"},
		RefreshTokenScopes:  []string{idp.ScopeOfflineAccess},
		AllowedPromptValues: []string{"login", "none", "consent", "select_account"},
		MinParameterEntropy: fosite.MinParameterEntropy,
		// fosite's own page submits with an inline onload handler, which
		// the provider's Content-Security-Policy blocks.
		FormPostHTMLTemplate: formPost,
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
		func(c fosite.Configurator, s, st interface{}) interface{} {
			return &pkceHandler{
				Handler:  compose.OAuth2PKCEFactory(c, s, st).(*pkce.Handler),
				required: pkceRequired, burn: store.burnCode,
			}
		},
	)
}
