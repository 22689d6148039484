package clients

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/idp/idp"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
)

// DefaultGrantTypes and DefaultScopes are what a registration that leaves
// them out gets: the authorization code flow with refresh tokens, and every
// scope the provider serves but phone and address. Those carry a member's
// most personal claims, so a client may ask for them only when its
// registration names them: a first-party client that skips consent never
// receives a phone number or address by default. Callers must not modify
// them.
var (
	DefaultGrantTypes = []string{idp.GrantAuthorizationCode, idp.GrantRefreshToken}
	DefaultScopes     = slices.DeleteFunc(idp.SupportedScopes(), func(s string) bool {
		return s == idp.ScopePhone || s == idp.ScopeAddress
	})
)

// PendingHash stands in for the secret hash of a confidential client until
// the secret is hashed, so the registration rules see the client as
// confidential without paying for the KDF before the input is known to be
// valid. Create and Upsert replace it; it is never stored.
const PendingHash = "pending"

// Prepare fills the defaults of a registration read from input: the
// default grant types and scopes where the lists are absent (nil, not
// empty), the pending hash when the client will have a secret, and what
// Normalize fills. Validate the result before Create or Upsert.
func Prepare(c *idp.Client, confidential bool) {
	if c.GrantTypes == nil {
		c.GrantTypes = slices.Clone(DefaultGrantTypes)
	}
	if c.Scopes == nil {
		c.Scopes = slices.Clone(DefaultScopes)
	}
	c.SecretHash = ""
	if confidential {
		c.SecretHash = PendingHash
	}
	Normalize(c)
}

// Create stores c as a new client, hashing secret for a confidential one.
// A taken client_id is an error wrapping idp.ErrConflict.
func Create(ctx context.Context, store *storage.Store, c *idp.Client, secret string) error {
	if !c.Public() && c.TokenEndpointAuthMethod != idp.AuthMethodPrivateKeyJWT {
		h, err := HashSecret(secret)
		if err != nil {
			return err
		}
		c.SecretHash = h
	}
	if err := store.Clients.Create(ctx, c); err != nil {
		return fmt.Errorf("add client: %w", err)
	}
	return nil
}

// Upsert makes the store hold c with secret (empty for a public client):
// it creates the client, updates one that differs, or leaves an equal one
// alone. A stored hash that still verifies against secret is kept, so
// applying the same input twice writes nothing the second time. It runs in
// one transaction, joining the one ctx carries.
func Upsert(ctx context.Context, store *storage.Store, c idp.Client, secret string) (idp.Change, error) {
	change := idp.Unchanged
	err := store.InTx(ctx, func(ctx context.Context) error {
		old, err := store.Clients.ByID(ctx, c.ID)
		if err != nil && !errors.Is(err, idp.ErrNotFound) {
			return err
		}
		exists := err == nil
		if c.SecretHash, err = keepOrHash(old.SecretHash, secret); err != nil {
			return err
		}
		switch {
		case !exists:
			change = idp.Created
			return store.Clients.Create(ctx, &c)
		case sameClient(old, c):
			return nil
		}
		change = idp.Updated
		return store.Clients.Update(ctx, c)
	})
	return change, err
}

// keepOrHash returns the hash to store for secret: the stored hash when it
// still verifies, so unchanged input changes nothing, or a new one. An
// empty secret (a public client) has an empty hash.
func keepOrHash(stored, secret string) (string, error) {
	if secret == "" {
		return "", nil
	}
	if stored != "" {
		if ok, err := password.Verify(stored, secret); err == nil && ok {
			return stored, nil
		}
	}
	return HashSecret(secret)
}

// sameClient reports whether two registrations agree on everything but
// their timestamps. A nil list equals an empty one.
func sameClient(a, b idp.Client) bool {
	return a.ID == b.ID && a.Name == b.Name && a.SecretHash == b.SecretHash &&
		slices.Equal(a.RedirectURIs, b.RedirectURIs) &&
		slices.Equal(a.PostLogoutRedirectURIs, b.PostLogoutRedirectURIs) &&
		slices.Equal(a.GrantTypes, b.GrantTypes) &&
		slices.Equal(a.ResponseTypes, b.ResponseTypes) &&
		slices.Equal(a.Scopes, b.Scopes) &&
		slices.Equal(a.Audience, b.Audience) &&
		a.TokenEndpointAuthMethod == b.TokenEndpointAuthMethod &&
		a.SkipConsent == b.SkipConsent &&
		a.AllowPlainOAuth == b.AllowPlainOAuth &&
		a.BackchannelLogoutURI == b.BackchannelLogoutURI &&
		a.Introspection == b.Introspection &&
		a.JWKS == b.JWKS && a.JWKSURI == b.JWKSURI &&
		a.TokenEndpointAuthSigningAlg == b.TokenEndpointAuthSigningAlg &&
		a.RequirePAR == b.RequirePAR && a.DPoPBoundAccessTokens == b.DPoPBoundAccessTokens &&
		a.RequireMFA == b.RequireMFA &&
		a.IDTokenSignedResponseAlg == b.IDTokenSignedResponseAlg &&
		a.AccessTokenSignedResponseAlg == b.AccessTokenSignedResponseAlg
}
