package storage

import (
	"context"
	"errors"

	"github.com/idp/idp"
)

// Clients stores registered applications. List fields are stored as JSON
// arrays; a nil or empty list comes back nil.
type Clients struct{ s *Store }

const clientColumns = `id, name, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types,
	response_types, scopes, audience, token_endpoint_auth_method, skip_consent, allow_plain_oauth,
	backchannel_logout_uri, introspection, jwks, jwks_uri, token_endpoint_auth_signing_alg, require_par,
	dpop_bound_access_tokens, id_token_signed_response_alg, access_token_signed_response_alg,
	require_mfa, created_at, updated_at`

func scanClient(r row) (idp.Client, error) {
	var c idp.Client
	var lists [6]string
	err := r.Scan(&c.ID, &c.Name, &c.SecretHash, &lists[0], &lists[1], &lists[2], &lists[3], &lists[4],
		&lists[5], &c.TokenEndpointAuthMethod, &c.SkipConsent, &c.AllowPlainOAuth, &c.BackchannelLogoutURI,
		&c.Introspection, &c.JWKS, &c.JWKSURI, &c.TokenEndpointAuthSigningAlg, &c.RequirePAR,
		&c.DPoPBoundAccessTokens, &c.IDTokenSignedResponseAlg, &c.AccessTokenSignedResponseAlg,
		&c.RequireMFA, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	dst := []*[]string{&c.RedirectURIs, &c.PostLogoutRedirectURIs, &c.GrantTypes, &c.ResponseTypes,
		&c.Scopes, &c.Audience}
	var errs []error
	for i, d := range dst {
		var err error
		*d, err = decodeList(lists[i])
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// Create inserts cl, filling CreatedAt and UpdatedAt when zero (normalised
// in place). An existing ID returns an *idp.DuplicateError, which wraps
// idp.ErrConflict. The
// store does not validate the registration: package clients does.
func (c *Clients) Create(ctx context.Context, cl *idp.Client) error {
	if cl.CreatedAt.IsZero() {
		cl.CreatedAt = c.s.clock()
	}
	if cl.UpdatedAt.IsZero() {
		cl.UpdatedAt = cl.CreatedAt
	}
	cl.CreatedAt, cl.UpdatedAt = utc(cl.CreatedAt), utc(cl.UpdatedAt)
	_, err := c.s.exec(ctx, `INSERT INTO clients (`+clientColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
		$21, $22, $23, $24)`,
		cl.ID, cl.Name, cl.SecretHash, encodeList(cl.RedirectURIs), encodeList(cl.PostLogoutRedirectURIs),
		encodeList(cl.GrantTypes), encodeList(cl.ResponseTypes), encodeList(cl.Scopes), encodeList(cl.Audience),
		cl.TokenEndpointAuthMethod, cl.SkipConsent, cl.AllowPlainOAuth, cl.BackchannelLogoutURI,
		cl.Introspection, cl.JWKS, cl.JWKSURI, cl.TokenEndpointAuthSigningAlg, cl.RequirePAR,
		cl.DPoPBoundAccessTokens, cl.IDTokenSignedResponseAlg, cl.AccessTokenSignedResponseAlg,
		cl.RequireMFA, cl.CreatedAt, cl.UpdatedAt)
	return c.s.wrapUnique("clients: create", err, map[string]string{"id": cl.ID})
}

// ByID returns the client, or an error wrapping idp.ErrNotFound.
func (c *Clients) ByID(ctx context.Context, id string) (idp.Client, error) {
	cl, err := scanClient(c.s.q(ctx).queryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1`, id))
	return cl, c.s.wrap("clients: by id", err)
}

// List returns every client ordered by ID, byte by byte.
func (c *Clients) List(ctx context.Context) ([]idp.Client, error) {
	list, err := collect(ctx, c.s.q(ctx), scanClient,
		`SELECT `+clientColumns+` FROM clients ORDER BY id`+c.s.dialect.bytewise)
	return list, c.s.wrap("clients: list", err)
}

// Update replaces every field of the client with cl.ID except CreatedAt,
// and sets UpdatedAt to now. It returns an error wrapping idp.ErrNotFound
// when no such client exists.
func (c *Clients) Update(ctx context.Context, cl idp.Client) error {
	n, err := c.s.exec(ctx, `UPDATE clients SET name = $2, secret_hash = $3, redirect_uris = $4,
		post_logout_redirect_uris = $5, grant_types = $6, response_types = $7, scopes = $8, audience = $9,
		token_endpoint_auth_method = $10, skip_consent = $11, allow_plain_oauth = $12,
		backchannel_logout_uri = $13, introspection = $14, jwks = $15, jwks_uri = $16,
		token_endpoint_auth_signing_alg = $17, require_par = $18, dpop_bound_access_tokens = $19,
		id_token_signed_response_alg = $20, access_token_signed_response_alg = $21, require_mfa = $22, updated_at = $23
		WHERE id = $1`,
		cl.ID, cl.Name, cl.SecretHash, encodeList(cl.RedirectURIs), encodeList(cl.PostLogoutRedirectURIs),
		encodeList(cl.GrantTypes), encodeList(cl.ResponseTypes), encodeList(cl.Scopes), encodeList(cl.Audience),
		cl.TokenEndpointAuthMethod, cl.SkipConsent, cl.AllowPlainOAuth, cl.BackchannelLogoutURI,
		cl.Introspection, cl.JWKS, cl.JWKSURI, cl.TokenEndpointAuthSigningAlg, cl.RequirePAR,
		cl.DPoPBoundAccessTokens, cl.IDTokenSignedResponseAlg, cl.AccessTokenSignedResponseAlg, cl.RequireMFA,
		c.s.clock())
	return c.s.wrap("clients: update", affected(n, err))
}

// Delete removes the client together with its consents, tokens, login
// flows and session records, in one statement (foreign keys cascade). It
// returns an error wrapping idp.ErrNotFound when no such client exists.
func (c *Clients) Delete(ctx context.Context, id string) error {
	n, err := c.s.exec(ctx, `DELETE FROM clients WHERE id = $1`, id)
	return c.s.wrap("clients: delete", affected(n, err))
}
