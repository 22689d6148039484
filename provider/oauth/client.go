package oauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
)

// Client adapts idp.Client to fosite. It implements OpenIDConnectClient so
// fosite enforces the registered token endpoint authentication method.
type Client struct{ idp.Client }

var (
	_ fosite.Client              = Client{}
	_ fosite.OpenIDConnectClient = Client{}
	_ fosite.ResponseModeClient  = Client{}
)

// ResponseModes are the response modes every client may ask for, and
// exactly those discovery advertises.
var ResponseModes = []fosite.ResponseModeType{fosite.ResponseModeQuery, fosite.ResponseModeFragment, fosite.ResponseModeFormPost}

// GetResponseModes: fosite refuses every explicit response_mode of a
// client that does not list it.
func (c Client) GetResponseModes() []fosite.ResponseModeType { return ResponseModes }

func (c Client) GetID() string                   { return c.ID }
func (c Client) GetHashedSecret() []byte         { return []byte(c.SecretHash) }
func (c Client) GetRedirectURIs() []string       { return c.RedirectURIs }
func (c Client) GetGrantTypes() fosite.Arguments { return c.GrantTypes }
func (c Client) GetResponseTypes() fosite.Arguments {
	return c.ResponseTypes
}
func (c Client) GetScopes() fosite.Arguments { return c.Scopes }
func (c Client) IsPublic() bool              { return c.Public() }

// GetAudience is the registered audience, or the client itself when none
// is registered: tokens always name who they are for (RFC 9068 §3).
func (c Client) GetAudience() fosite.Arguments {
	if len(c.Audience) == 0 {
		return fosite.Arguments{c.ID}
	}
	return c.Audience
}
func (c Client) GetRequestURIs() []string                     { return nil }
func (c Client) GetJSONWebKeys() *jose.JSONWebKeySet          { return nil }
func (c Client) GetJSONWebKeysURI() string                    { return "" }
func (c Client) GetRequestObjectSigningAlgorithm() string     { return "" }
func (c Client) GetTokenEndpointAuthMethod() string           { return c.TokenEndpointAuthMethod }
func (c Client) GetTokenEndpointAuthSigningAlgorithm() string { return "" }

// clientCacheTTL bounds how stale a cached client may be. Token requests
// read the client on every call; a short cache keeps that read off the hot
// path while a change made with the CLI (on any replica) still takes effect
// within seconds.
const clientCacheTTL = 5 * time.Second

// clientCache serves client lookups from memory for clientCacheTTL.
type clientCache struct {
	store *storage.Store
	now   func() time.Time

	mu      sync.Mutex
	entries map[string]cachedClient
}

type cachedClient struct {
	c       idp.Client
	fetched time.Time
}

func (cc *clientCache) get(ctx context.Context, id string) (idp.Client, error) {
	now := cc.now()
	cc.mu.Lock()
	e, ok := cc.entries[id]
	cc.mu.Unlock()
	if ok && now.Sub(e.fetched) < clientCacheTTL {
		return e.c, nil
	}
	c, err := cc.store.Clients.ByID(ctx, id)
	if err != nil {
		return idp.Client{}, err
	}
	cc.mu.Lock()
	if len(cc.entries) > 10000 { // a flood of lookups never grows memory without bound
		clear(cc.entries)
	}
	cc.entries[id] = cachedClient{c: c, fetched: now}
	cc.mu.Unlock()
	return c, nil
}

// secretHasher is fosite's Hasher backed by clients.Verifier: a slow KDF
// verification once, then a keyed-hash cache hit, so a token request does
// not pay argon2id (and cannot be used to burn CPU with valid secrets).
type secretHasher struct{ v *clients.Verifier }

var _ fosite.Hasher = secretHasher{}

func (h secretHasher) Compare(ctx context.Context, hash, data []byte) error {
	if err := h.v.VerifyContext(ctx, string(hash), string(data)); err != nil {
		if errors.Is(err, clients.ErrSecretMismatch) {
			return fosite.ErrInvalidClient
		}
		if errors.Is(err, password.ErrBusy) {
			return Unavailable(KDFRetryAfter, err)
		}
		return fmt.Errorf("verify client secret: %w", err)
	}
	return nil
}

func (h secretHasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	s, err := clients.HashSecret(string(data))
	return []byte(s), err
}

// Audience is what a token is for: the audiences the client asked for
// (fosite checked they are registered), else every registered one.
func Audience(requested []string, c Client) []string {
	if len(requested) > 0 {
		return requested
	}
	return c.GetAudience()
}
