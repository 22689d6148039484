package console

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/provider/account"
	"github.com/idp/idp/provider/web"
)

// clientFields are a client's fields as the audit trail records them,
// named as the admin API and the bootstrap file name them. The secret
// hash is never among them.
func clientFields(c idp.Client) map[string]any {
	return map[string]any{
		"name": c.Name, "token_endpoint_auth_method": c.TokenEndpointAuthMethod,
		"redirect_uris": c.RedirectURIs, "post_logout_redirect_uris": c.PostLogoutRedirectURIs,
		"grant_types": c.GrantTypes, "scopes": c.Scopes, "audience": c.Audience,
		"skip_consent": c.SkipConsent, "allow_plain_oauth": c.AllowPlainOAuth,
		"dpop_bound_access_tokens": c.DPoPBoundAccessTokens, "backchannel_logout_uri": c.BackchannelLogoutURI,
		"introspection": c.Introspection, "id_token_signed_response_alg": c.IDTokenSignedResponseAlg,
		"access_token_signed_response_alg": c.AccessTokenSignedResponseAlg, "jwks": c.JWKS, "jwks_uri": c.JWKSURI,
		"token_endpoint_auth_signing_alg":       c.TokenEndpointAuthSigningAlg,
		"require_pushed_authorization_requests": c.RequirePAR,
	}
}

func clientForm(c idp.Client) web.ConsoleClientForm {
	return web.ConsoleClientForm{
		ID: c.ID, Name: c.Name, AuthMethod: c.TokenEndpointAuthMethod,
		RedirectURIs: strings.Join(c.RedirectURIs, "\n"), PostLogoutRedirectURIs: strings.Join(c.PostLogoutRedirectURIs, "\n"),
		Scopes: strings.Join(c.Scopes, " "), Audience: strings.Join(c.Audience, " "),
		BackchannelLogoutURI: c.BackchannelLogoutURI, SkipConsent: c.SkipConsent, RequirePAR: c.RequirePAR,
		DPoPBound: c.DPoPBoundAccessTokens, Public: c.Public(), Version: version(c.UpdatedAt),
	}
}

// submittedClient reads the client form. Lists are never nil, so an
// emptied list is refused by the rules rather than replaced by defaults.
func submittedClient(r *http.Request) (web.ConsoleClientForm, []string) {
	_ = r.ParseForm()
	f := web.ConsoleClientForm{
		ID: strings.TrimSpace(r.PostFormValue("id")), Name: strings.TrimSpace(r.PostFormValue("name")),
		AuthMethod: r.PostFormValue("auth_method"), RedirectURIs: r.PostFormValue("redirect_uris"),
		PostLogoutRedirectURIs: r.PostFormValue("post_logout_redirect_uris"), Scopes: r.PostFormValue("scopes"),
		Audience: r.PostFormValue("audience"), BackchannelLogoutURI: strings.TrimSpace(r.PostFormValue("backchannel_logout_uri")),
		SkipConsent: r.PostFormValue("skip_consent") == "1", RequirePAR: r.PostFormValue("require_par") == "1",
		DPoPBound: r.PostFormValue("dpop_bound") == "1", Version: r.PostFormValue("version"),
	}
	return f, append([]string{}, r.PostForm["grant_types"]...)
}

// apply copies the form's editable fields onto c.
func applyClient(f web.ConsoleClientForm, grants []string, c *idp.Client) {
	c.Name = f.Name
	c.RedirectURIs, c.PostLogoutRedirectURIs = fields(f.RedirectURIs), fields(f.PostLogoutRedirectURIs)
	c.GrantTypes, c.Scopes, c.Audience = grants, fields(f.Scopes), fields(f.Audience)
	c.BackchannelLogoutURI, c.SkipConsent = f.BackchannelLogoutURI, f.SkipConsent
	c.RequirePAR, c.DPoPBoundAccessTokens = f.RequirePAR, f.DPoPBound
}

// fields splits a list typed one per line or separated by spaces.
func fields(s string) []string { return append([]string{}, strings.Fields(s)...) }

// options marks the chosen values among all.
func options(all, chosen []string) []web.ConsoleOption {
	out := make([]web.ConsoleOption, 0, len(all))
	for _, v := range all {
		out = append(out, web.ConsoleOption{Value: v, Checked: slices.Contains(chosen, v)})
	}
	return out
}

// authMethods are the client authentications the console offers when
// adding a client; private_key_jwt needs a key set, which the admin API
// and the bootstrap file take.
var authMethods = []string{idp.AuthMethodBasic, idp.AuthMethodPost, idp.AuthMethodNone}

func (h *Handlers) listClients(w http.ResponseWriter, r *http.Request, _ account.Visit) {
	rows, err := h.store.Clients.Page(r.Context(), r.URL.Query().Get("after"), PageSize+1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := web.ConsoleClientsPage{Clients: rows, Notice: notice(r)}
	if len(rows) > PageSize {
		data.Clients = rows[:PageSize]
		data.Next = template.URL(url.Values{"after": {rows[PageSize-1].ID}}.Encode())
	}
	h.web.Render(w, r, http.StatusOK, h.pages.Clients, data)
}

func (h *Handlers) renderClient(w http.ResponseWriter, r *http.Request, v account.Visit, status int, isNew bool,
	f web.ConsoleClientForm, grants []string, errs []string) {
	h.web.Render(w, r, status, h.pages.Client, web.ConsoleClientPage{
		CSRFToken: v.CSRFToken, New: isNew, Client: f, Errors: errs, Notice: notice(r),
		Grants: options(idp.SupportedGrants(), grants), AuthMethods: options(authMethods, []string{f.AuthMethod}),
	})
}

func (h *Handlers) newClient(w http.ResponseWriter, r *http.Request, v account.Visit) {
	f := web.ConsoleClientForm{AuthMethod: idp.AuthMethodBasic, Scopes: strings.Join(clients.DefaultScopes, " ")}
	h.renderClient(w, r, v, http.StatusOK, true, f, clients.DefaultGrantTypes, nil)
}

// createClient registers a client through the clients rules, as the admin
// API's POST /clients does; a confidential client's generated secret is
// shown in this answer only.
func (h *Handlers) createClient(w http.ResponseWriter, r *http.Request, v account.Visit) {
	f, grants := submittedClient(r)
	if !slices.Contains(authMethods, f.AuthMethod) {
		f.AuthMethod = ""
	}
	c := idp.Client{ID: f.ID, TokenEndpointAuthMethod: f.AuthMethod}
	applyClient(f, grants, &c)
	confidential := f.AuthMethod != idp.AuthMethodNone
	clients.Prepare(&c, confidential)
	if err := clients.Validate(c); err != nil {
		h.renderClient(w, r, v, http.StatusUnprocessableEntity, true, f, grants, problems(err))
		return
	}
	var secret string
	if confidential {
		var err error
		if secret, err = clients.GenerateSecret(); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		if err := clients.Create(ctx, h.store, &c, secret); err != nil {
			return err
		}
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditClientCreated, ClientID: c.ID,
			Detail: audit.Changes(nil, clientFields(c))})
	})
	if errs := h.refusal(err); errs != nil {
		h.renderClient(w, r, v, http.StatusUnprocessableEntity, true, f, grants, errs)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if secret == "" {
		done(w, r, Path+"/clients/"+url.PathEscape(c.ID), "added")
		return
	}
	h.web.Render(w, r, http.StatusCreated, h.pages.Secret, web.ConsoleSecretPage{ClientID: c.ID, ClientName: c.Name, Secret: secret})
}

func (h *Handlers) showClient(w http.ResponseWriter, r *http.Request, v account.Visit) {
	c, err := h.store.Clients.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderClient(w, r, v, http.StatusOK, false, clientForm(c), c.GrantTypes, nil)
}

// updateClient saves the edit form through clients.Update (every
// registration rule; the secret and so whether the client is public are
// kept), refused when the client changed since the form was shown, and
// records client.updated with what changed, as the admin API's PATCH does.
func (h *Handlers) updateClient(w http.ResponseWriter, r *http.Request, v account.Visit) {
	f, grants := submittedClient(r)
	id := r.PathValue("id")
	changed := false
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		before, err := h.store.Clients.Lock(ctx, id)
		if err != nil {
			return err
		}
		if f.Version != version(before.UpdatedAt) {
			return errStale
		}
		c := before
		applyClient(f, grants, &c)
		if err := clients.Update(ctx, h.store, c); err != nil {
			return err
		}
		after, err := h.store.Clients.ByID(ctx, id)
		if err != nil {
			return err
		}
		d := audit.Changes(clientFields(before), clientFields(after))
		if d == nil {
			return nil
		}
		changed = true
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditClientUpdated, ClientID: id, Detail: d})
	})
	if err == nil {
		h.cfg.ClientChanged(id)
		done(w, r, Path+"/clients/"+url.PathEscape(id), map[bool]string{true: "saved", false: "unchanged"}[changed])
		return
	}
	errs := h.refusal(err)
	if errs == nil {
		h.fail(w, r, err)
		return
	}
	c, lerr := h.store.Clients.ByID(r.Context(), id)
	if lerr != nil {
		h.fail(w, r, lerr)
		return
	}
	stored := clientForm(c)
	if err == errStale { // show what is stored now, not the form that would undo it
		f, grants = stored, c.GrantTypes
	}
	f.ID, f.AuthMethod, f.Public, f.Version = c.ID, c.TokenEndpointAuthMethod, c.Public(), stored.Version
	h.renderClient(w, r, v, http.StatusUnprocessableEntity, false, f, grants, errs)
}

// rotateSecret gives the client a new generated secret
// (clients.RotateSecret), shown in this answer only and recorded as
// client.secret_rotated without its value.
func (h *Handlers) rotateSecret(w http.ResponseWriter, r *http.Request, v account.Visit) {
	id := r.PathValue("id")
	var secret string
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		var err error
		if secret, err = clients.RotateSecret(ctx, h.store, id); err != nil {
			return err
		}
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditClientSecretSet, ClientID: id,
			Detail: map[string]any{audit.SecretsChanged: []string{"secret"}}})
	})
	if errs := h.refusal(err); errs != nil {
		c, lerr := h.store.Clients.ByID(r.Context(), id)
		if lerr != nil {
			h.fail(w, r, lerr)
			return
		}
		h.renderClient(w, r, v, http.StatusUnprocessableEntity, false, clientForm(c), c.GrantTypes, errs)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.cfg.ClientChanged(id)
	c, err := h.store.Clients.ByID(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.web.Render(w, r, http.StatusOK, h.pages.Secret, web.ConsoleSecretPage{ClientID: c.ID, ClientName: c.Name, Secret: secret})
}
