// Package provider is the OpenID Connect provider: the HTTP endpoints, the
// login and consent pages, and the wiring of fosite, which implements every
// grant. It is the only package that imports fosite, gorilla/mux and go-jose.
package provider

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// Provider serves every endpoint of the identity provider.
type Provider struct {
	cfg     Config
	handler http.Handler
}

// New validates cfg, loads (or on first start creates) the signing key and
// returns the provider. Close stops its background work.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return nil, errors.New("provider: not implemented")
}

// ServeHTTP serves every route of the provider.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// Close stops background work: key refresh, cleanup and back-channel logout
// delivery.
func (p *Provider) Close() error { return nil }

// RotateKey adds a new signing key that replicas start signing with after
// activateAfter; the previous keys stay published until every token they
// signed has expired.
func RotateKey(ctx context.Context, store *storage.Store, secret []byte, activateAfter time.Duration) (idp.SigningKey, error) {
	return idp.SigningKey{}, errors.New("provider: not implemented")
}
