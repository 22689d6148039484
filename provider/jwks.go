package provider

import (
	"net/http"

	josev4 "github.com/go-jose/go-jose/v4"
)

// handleJWKS publishes the public halves of the published signing keys, so
// relying parties verify ID and access tokens offline (OpenID Connect
// Discovery §3, jwks_uri).
func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	set := josev4.JSONWebKeySet{}
	for _, sk := range p.keys.published() {
		set.Keys = append(set.Keys, josev4.JSONWebKey{
			Key:       &sk.private.PublicKey,
			KeyID:     sk.id,
			Algorithm: string(josev4.RS256),
			Use:       "sig",
		})
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	// Public keys, no credentials: any origin may read them, so browser
	// apps can verify tokens.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, set)
}
