package provider

import (
	"net/http"
	"slices"

	"github.com/idp/idp"
	"github.com/idp/idp/dpop"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// discovery is the OpenID Provider Metadata (OpenID Connect Discovery 1.0
// §3, RFC 8414). Every value states what the provider does, not what it
// might.
type discovery struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	DeviceAuthorizationEndpoint                string   `json:"device_authorization_endpoint"`
	EndSessionEndpoint                         string   `json:"end_session_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint,omitempty"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	SubjectTypesSupported                      []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported"`
	UserinfoSigningAlgValuesSupported          []string `json:"userinfo_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	PromptValuesSupported                      []string `json:"prompt_values_supported"`
	ClaimsParameterSupported                   bool     `json:"claims_parameter_supported"`
	ACRValuesSupported                         []string `json:"acr_values_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported               bool     `json:"request_uri_parameter_supported"`
	AuthorizationResponseISSParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	BackchannelLogoutSupported                 bool     `json:"backchannel_logout_supported"`
	BackchannelLogoutSessionSupported          bool     `json:"backchannel_logout_session_supported"`
	FrontchannelLogoutSupported                bool     `json:"frontchannel_logout_supported"`
	DPoPSigningAlgValuesSupported              []string `json:"dpop_signing_alg_values_supported"`
	// The languages of the pages (OpenID Connect Discovery §3), which
	// ui_locales chooses from.
	UILocalesSupported []string `json:"ui_locales_supported"`
	// RFC 9126 §5.
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint"`
	RequirePushedAuthorizationRequests bool   `json:"require_pushed_authorization_requests"`
	// The algorithms of private_key_jwt assertions (RFC 8414 §2).
	TokenEndpointAuthSigningAlgs         []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IntrospectionEndpointAuthSigningAlgs []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpointAuthSigningAlgs    []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	auth := []string{idp.AuthMethodBasic, idp.AuthMethodPost, idp.AuthMethodPrivateKeyJWT}
	var modes []string
	for _, m := range oauth.ResponseModes {
		modes = append(modes, string(m))
	}
	d := discovery{
		Issuer:                                    p.cfg.Issuer,
		AuthorizationEndpoint:                     p.url(pathAuthorize),
		TokenEndpoint:                             p.url(pathToken),
		UserinfoEndpoint:                          p.url(pathUserinfo),
		JWKSURI:                                   p.url(pathJWKS),
		IntrospectionEndpoint:                     p.url(pathIntrospect),
		RevocationEndpoint:                        p.url(pathRevoke),
		DeviceAuthorizationEndpoint:               p.url(pathDeviceAuthorize),
		EndSessionEndpoint:                        p.url(pathLogout),
		RegistrationEndpoint:                      p.registrationEndpoint(),
		ScopesSupported:                           idp.SupportedScopes(),
		ClaimsSupported:                           oauth.SupportedClaims(),
		ResponseTypesSupported:                    []string{"code"},
		ResponseModesSupported:                    modes,
		GrantTypesSupported:                       idp.SupportedGrants(),
		SubjectTypesSupported:                     []string{"public"},
		IDTokenSigningAlgValuesSupported:          slices.Clone(keys.Algorithms),
		UserinfoSigningAlgValuesSupported:         []string{"none"},
		TokenEndpointAuthMethodsSupported:         append(auth, idp.AuthMethodNone),
		IntrospectionEndpointAuthMethodsSupported: auth,
		RevocationEndpointAuthMethodsSupported:    append(auth, idp.AuthMethodNone),
		CodeChallengeMethodsSupported:             []string{"S256"},
		PromptValuesSupported:                     []string{"none", "login", "consent", "select_account"},
		// The claims parameter asks the member for the scopes that carry
		// the named claims (see addedScopes).
		ClaimsParameterSupported: true,
		// idp.ACRPassword and idp.ACRMFA: asking for the second makes a
		// member with a second factor pass it (authflow.WantsMFA).
		ACRValuesSupported:                         []string{idp.ACRPassword, idp.ACRMFA},
		AuthorizationResponseISSParameterSupported: true,
		BackchannelLogoutSupported:                 true,
		BackchannelLogoutSessionSupported:          true,
		DPoPSigningAlgValuesSupported:              dpop.AlgorithmNames(),
		UILocalesSupported:                         web.LanguageTags(),
		PushedAuthorizationRequestEndpoint:         p.url(pathPushed),
		RequirePushedAuthorizationRequests:         p.cfg.RequirePAR,
		TokenEndpointAuthSigningAlgs:               oauth.AssertionAlgs(),
		IntrospectionEndpointAuthSigningAlgs:       oauth.AssertionAlgs(),
		RevocationEndpointAuthSigningAlgs:          oauth.AssertionAlgs(),
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, d)
}
