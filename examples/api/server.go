package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/idp/idp/dpop"
)

// scopeRead is the scope GET /hello requires.
const scopeRead = "api:read"

// server is the resource server: it trusts nothing but tokens it can verify
// against the provider's published keys.
type server struct {
	cfg      config
	verifier *tokenVerifier
	proofs   seenProofs
	mux      *http.ServeMux
}

// newServer discovers the provider (RFC 8414 / OpenID Connect Discovery),
// takes the JWKS URL from it and returns the API's handler. Keys are fetched
// on first use and again whenever a token names an unknown kid, so a key
// rotation at the provider needs no restart here.
func newServer(ctx context.Context, cfg config) (*server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", cfg.Issuer, err)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURI == "" {
		return nil, fmt.Errorf("discover %s: no jwks_uri in the metadata", cfg.Issuer)
	}
	s := &server{
		cfg: cfg,
		verifier: &tokenVerifier{
			issuer:   cfg.Issuer,
			audience: cfg.Audience,
			keys:     oidc.NewRemoteKeySet(ctx, meta.JWKSURI),
			now:      cfg.Now,
			leeway:   cfg.Leeway,
		},
		mux: http.NewServeMux(),
	}
	s.routes()
	return s, nil
}

// routes registers every endpoint in one place.
func (s *server) routes() {
	s.mux.Handle("GET /hello", s.requireScope(scopeRead, http.HandlerFunc(s.handleHello)))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type tokenKey struct{}

// requireScope lets a request through only with a valid access token
// (RFC 6750 §2.1, or RFC 9449 §7 for a DPoP-bound one) granted scope, and
// answers the RFC 6750 §3 challenge otherwise, under the DPoP scheme when
// the token is bound or the DPoP scheme was used.
func (s *server) requireScope(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, raw, ok := accessTokenOf(r)
		if !ok {
			// No credentials at all: the challenge carries no error
			// code (RFC 6750 §3.1).
			s.challenge(w, http.StatusUnauthorized)
			return
		}
		tok, err := s.verifier.verify(r.Context(), raw)
		if err != nil {
			desc := "The access token is invalid"
			if ite := (*invalidTokenError)(nil); errors.As(err, &ite) {
				desc = ite.Description
			}
			s.cfg.Logger.Info("token refused", "path", r.URL.Path, "err", err)
			s.challenge(w, http.StatusUnauthorized, "error", "invalid_token", "error_description", desc)
			return
		}
		if code, err := s.checkBinding(r, scheme, raw, tok); err != nil {
			desc := "The DPoP proof is invalid"
			if ite := (*invalidTokenError)(nil); errors.As(err, &ite) {
				desc = ite.Description
			}
			s.cfg.Logger.Info("token binding refused", "path", r.URL.Path, "err", err)
			s.dpopChallenge(w, code, desc)
			return
		}
		if !tok.hasScope(scope) {
			s.challenge(w, http.StatusForbidden, "error", "insufficient_scope",
				"error_description", "The access token lacks a required scope", "scope", scope)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok)))
	})
}

// accessTokenOf extracts the scheme and token of an "Authorization:
// Bearer" or "Authorization: DPoP" header. The scheme is case-insensitive
// (RFC 9110 §11.1); any other scheme counts as no credentials.
func accessTokenOf(r *http.Request) (scheme, token string, ok bool) {
	scheme, token, ok = strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, schemeDPoP) {
		return "", "", false
	}
	token = strings.TrimSpace(token)
	return scheme, token, token != ""
}

// dpopChallenge answers 401 with a WWW-Authenticate: DPoP challenge
// (RFC 9449 §7.1) naming the accepted proof algorithms.
func (s *server) dpopChallenge(w http.ResponseWriter, code, desc string) {
	w.Header().Set("WWW-Authenticate", "DPoP algs="+quote(strings.Join(dpop.AlgorithmNames(), " "))+
		", error="+quote(code)+", error_description="+quote(desc))
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

// challenge answers status with a WWW-Authenticate: Bearer header whose
// attributes are the realm followed by the given name/value pairs. Values
// are fixed strings, quoted per RFC 9110 §5.6.4.
func (s *server) challenge(w http.ResponseWriter, status int, attrs ...string) {
	var b strings.Builder
	b.WriteString(`Bearer realm=`)
	b.WriteString(quote(s.cfg.Realm))
	for i := 0; i+1 < len(attrs); i += 2 {
		b.WriteString(", ")
		b.WriteString(attrs[i])
		b.WriteString("=")
		b.WriteString(quote(attrs[i+1]))
	}
	w.Header().Set("WWW-Authenticate", b.String())
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(status), status)
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// handleHello answers a caller holding api:read with what the API knows
// about it from the token alone.
func (s *server) handleHello(w http.ResponseWriter, r *http.Request) {
	tok := r.Context().Value(tokenKey{}).(accessToken)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	err := json.NewEncoder(w).Encode(map[string]any{
		"message":   "hello, " + tok.ClientID,
		"sub":       tok.Subject,
		"client_id": tok.ClientID,
		"scope":     tok.Scopes,
		"exp":       tok.Expiry.Unix(),
	})
	if err != nil {
		s.cfg.Logger.Warn("write response", slog.Any("err", err))
	}
}
