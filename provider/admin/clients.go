package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/clients"
)

// clientFields are the fields of a client registration an administrator
// sets, named as in the bootstrap file; a merge patch may change exactly
// these. A client is public when token_endpoint_auth_method is "none".
type clientFields struct {
	Name                    string   `json:"name"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	RedirectURIs            []string `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	Scopes                  []string `json:"scopes"`
	Audience                []string `json:"audience"`
	SkipConsent             bool     `json:"skip_consent"`
	AllowPlainOAuth         bool     `json:"allow_plain_oauth"`
	DPoPBoundAccessTokens   bool     `json:"dpop_bound_access_tokens"`
	BackchannelLogoutURI    string   `json:"backchannel_logout_uri"`
	Introspection           string   `json:"introspection"`
	// The token signing algorithms; "" means RS256 (clients.SigningAlgs).
	IDTokenSignedResponseAlg     string `json:"id_token_signed_response_alg"`
	AccessTokenSignedResponseAlg string `json:"access_token_signed_response_alg"`
	protocolFields
}

// protocolFields are the metadata of private_key_jwt (RFC 7523: the keys,
// inline or by URL, and the one assertion algorithm) and of pushed
// authorization requests (RFC 9126 §6).
type protocolFields struct {
	JWKS                        json.RawMessage `json:"jwks,omitempty"`
	JWKSURI                     string          `json:"jwks_uri"`
	TokenEndpointAuthSigningAlg string          `json:"token_endpoint_auth_signing_alg"`
	RequirePAR                  bool            `json:"require_pushed_authorization_requests"`
	// RequireMFA makes members signing in to the client pass a second
	// factor.
	RequireMFA bool `json:"require_mfa"`
}

func protocolOf(c idp.Client) protocolFields {
	p := protocolFields{JWKSURI: c.JWKSURI, TokenEndpointAuthSigningAlg: c.TokenEndpointAuthSigningAlg, RequirePAR: c.RequirePAR,
		RequireMFA: c.RequireMFA}
	if c.JWKS != "" {
		p.JWKS = json.RawMessage(c.JWKS)
	}
	return p
}

func (p protocolFields) apply(c *idp.Client) {
	c.JWKS = ""
	if len(p.JWKS) > 0 && string(p.JWKS) != "null" {
		c.JWKS = string(p.JWKS)
	}
	c.JWKSURI, c.TokenEndpointAuthSigningAlg, c.RequirePAR = p.JWKSURI, p.TokenEndpointAuthSigningAlg, p.RequirePAR
	c.RequireMFA = p.RequireMFA
}

// clientJSON is a client as the API shows it: never the secret hash;
// Secret only in the answer that generated it.
type clientJSON struct {
	ID string `json:"id"`
	clientFields
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// clientCreate is the body of POST /clients: the id and the settable
// fields. Lists left out get the defaults of clients.Prepare, as in the
// bootstrap file.
type clientCreate struct {
	ID string `json:"id"`
	clientFields
}

func fieldsOfClient(c idp.Client) clientFields {
	return clientFields{Name: c.Name, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		RedirectURIs: nonNil(c.RedirectURIs), PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs),
		GrantTypes: nonNil(c.GrantTypes), Scopes: nonNil(c.Scopes), Audience: nonNil(c.Audience),
		SkipConsent: c.SkipConsent, AllowPlainOAuth: c.AllowPlainOAuth, DPoPBoundAccessTokens: c.DPoPBoundAccessTokens,
		BackchannelLogoutURI: c.BackchannelLogoutURI, Introspection: c.Introspection,
		IDTokenSignedResponseAlg: c.IDTokenSignedResponseAlg, AccessTokenSignedResponseAlg: c.AccessTokenSignedResponseAlg,
		protocolFields: protocolOf(c)}
}

func (f clientFields) apply(c *idp.Client) {
	c.Name, c.TokenEndpointAuthMethod = f.Name, f.TokenEndpointAuthMethod
	c.RedirectURIs, c.PostLogoutRedirectURIs = f.RedirectURIs, f.PostLogoutRedirectURIs
	c.GrantTypes, c.Scopes, c.Audience = f.GrantTypes, f.Scopes, f.Audience
	c.SkipConsent, c.AllowPlainOAuth = f.SkipConsent, f.AllowPlainOAuth
	c.DPoPBoundAccessTokens = f.DPoPBoundAccessTokens
	c.BackchannelLogoutURI, c.Introspection = f.BackchannelLogoutURI, f.Introspection
	c.IDTokenSignedResponseAlg, c.AccessTokenSignedResponseAlg = f.IDTokenSignedResponseAlg, f.AccessTokenSignedResponseAlg
	f.protocolFields.apply(c)
}

func renderClient(c idp.Client) clientJSON {
	return clientJSON{ID: c.ID, clientFields: fieldsOfClient(c), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (a *API) listClients(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	rows, err := a.cfg.Store.Clients.Page(r.Context(), after, limit+1)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pageOf(rows, limit, func(c idp.Client) string { return c.ID }, renderClient))
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cfg.Store.Clients.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(c))
	return writeJSON(w, http.StatusOK, renderClient(c))
}

// createClient registers a client through the rules of package clients. A
// confidential client gets a generated secret, returned in this answer
// only; the store keeps its hash.
func (a *API) createClient(w http.ResponseWriter, r *http.Request) error {
	var in clientCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	c := idp.Client{ID: in.ID}
	in.clientFields.apply(&c)
	// A private_key_jwt client proves itself with its key: no secret.
	confidential := in.TokenEndpointAuthMethod != idp.AuthMethodNone && in.TokenEndpointAuthMethod != idp.AuthMethodPrivateKeyJWT
	clients.Prepare(&c, confidential)
	if err := clients.Validate(c); err != nil {
		return err
	}
	var secret string
	if confidential {
		var err error
		if secret, err = clients.GenerateSecret(); err != nil {
			return err
		}
	}
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		if err := clients.Create(ctx, a.cfg.Store, &c, secret); err != nil {
			return err
		}
		return a.record(ctx, r, idp.AuditEvent{Type: idp.AuditClientCreated, ClientID: c.ID,
			Detail: audit.Changes(nil, asMap(fieldsOfClient(c)))})
	})
	if err != nil {
		return err
	}
	out := renderClient(c)
	out.Secret = secret
	w.Header().Set("Location", Prefix+"/clients/"+c.ID)
	w.Header().Set("ETag", etag(c))
	return writeJSON(w, http.StatusCreated, out)
}

// patchClient applies a JSON merge patch (RFC 7396) under If-Match; the
// result must pass every registration rule (clients.Update), and this
// replica forgets its cached copy at once.
func (a *API) patchClient(w http.ResponseWriter, r *http.Request) error {
	after, err := patchResource(a, r, patchable[idp.Client, clientFields]{
		lock: a.cfg.Store.Clients.Lock, byID: a.cfg.Store.Clients.ByID, fields: fieldsOfClient,
		id:     func(c idp.Client) string { return c.ID },
		update: func(ctx context.Context, c idp.Client) error { return clients.Update(ctx, a.cfg.Store, c) },
		event: func(c idp.Client, d map[string]any) idp.AuditEvent {
			return idp.AuditEvent{Type: idp.AuditClientUpdated, ClientID: c.ID, Detail: d}
		},
	})
	if err != nil {
		return err
	}
	a.cfg.ClientChanged(after.ID)
	w.Header().Set("ETag", etag(after))
	return writeJSON(w, http.StatusOK, renderClient(after))
}

// deleteClient removes a client; its tokens go with it, so they stop being
// accepted at once.
func (a *API) deleteClient(w http.ResponseWriter, r *http.Request) error {
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		c, err := a.cfg.Store.Clients.ByID(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := clients.Remove(ctx, a.cfg.Store, c.ID); err != nil {
			return err
		}
		return a.record(ctx, r, idp.AuditEvent{Type: idp.AuditClientDeleted, ClientID: c.ID,
			Detail: audit.Changes(asMap(fieldsOfClient(c)), nil)})
	})
	if err != nil {
		return err
	}
	a.cfg.ClientChanged(r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateClientSecret gives the client a new generated secret, returned in
// this answer only; the old one stops working.
func (a *API) rotateClientSecret(w http.ResponseWriter, r *http.Request) error {
	var secret string
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		var err error
		if secret, err = clients.RotateSecret(ctx, a.cfg.Store, r.PathValue("id")); err != nil {
			return err
		}
		return a.record(ctx, r, idp.AuditEvent{Type: idp.AuditClientSecretSet, ClientID: r.PathValue("id"),
			Detail: map[string]any{"secrets_changed": []string{"secret"}}})
	})
	if err != nil {
		return err
	}
	a.cfg.ClientChanged(r.PathValue("id"))
	c, err := a.cfg.Store.Clients.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := renderClient(c)
	out.Secret = secret
	w.Header().Set("ETag", etag(c))
	return writeJSON(w, http.StatusOK, out)
}
