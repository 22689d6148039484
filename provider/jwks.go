package provider

import (
	"fmt"
	"net/http"

	"github.com/idp/idp/keys"
)

// handleJWKS publishes the public halves of the published signing keys, so
// relying parties verify ID and access tokens offline (OpenID Connect
// Discovery §3, jwks_uri).
func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(keys.JWKSMaxAge.Seconds())))
	// Public keys, no credentials: any origin may read them, so browser
	// apps can verify tokens.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, p.keys.JWKS())
}
