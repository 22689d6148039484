// Package registration serves dynamic client registration (RFC 7591) and
// its management protocol (RFC 7592): a client registers itself by
// POSTing its metadata, and reads, replaces or deletes its registration
// at the URI it got back, with the registration access token it got back.
//
// The registration rules are package clients', the same the command line
// and the bootstrap file apply, plus its rules for self-registered clients
// (a scope allow-list that never includes idp:admin, no privileges only
// the operator grants). Every token the endpoint accepts is stored as a
// hash only. The package depends on nothing of the provider but what
// Deps names, so it can be mounted, tested and moved on its own.
package registration

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
)

// Path is the registration endpoint; a client's configuration endpoint
// (RFC 7592 §2) is Path + "/" + its client_id.
const Path = "/oauth2/register"

// Recorder writes an event to the audit trail. Record is called inside
// the transaction of the change it describes (the context carries it),
// so an error rolls the change back.
type Recorder interface {
	Record(ctx context.Context, e idp.AuditEvent) error
}

// Deps is everything the handler needs, given explicitly.
type Deps struct {
	Store  *storage.Store
	Config Config
	// Issuer is the provider's base URL, without a trailing slash; the
	// configuration endpoint's URI is built from it.
	Issuer string
	Now    func() time.Time
	Log    *slog.Logger
	// KDF bounds the hashing of new client secrets with the provider's
	// other derivations; nil means unbounded.
	KDF *password.Limiter
	// Audit records registrations, updates and deletions; nil records
	// nothing.
	Audit Recorder
	// ClientAddr names the request's client for the audit trail; nil
	// leaves the address out.
	ClientAddr func(*http.Request) string
	// Admit counts a registration attempt in open mode against the
	// limit of the request's client and returns how long it must wait
	// when over it (zero: go ahead). nil admits every attempt.
	Admit func(ctx context.Context, r *http.Request) (time.Duration, error)
}

// Handler serves Path and the configuration endpoints below it.
type Handler struct {
	d       Deps
	allowed []string
}

// New returns the handler. The caller mounts it only when
// d.Config.Enabled(); a disabled handler answers every request 404.
func New(d Deps) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.Issuer = strings.TrimSuffix(d.Issuer, "/")
	return &Handler{d: d, allowed: d.Config.AllowedScopes()}
}

// ServeHTTP routes registration (POST Path) and management (GET, PUT and
// DELETE Path/{client_id}).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// RFC 7591 §3.2.1 and RFC 7592 §3: responses carry credentials.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if !h.d.Config.Enabled() {
		writeError(w, http.StatusNotFound, "not_found", "dynamic client registration is off")
		return
	}
	id, managed := strings.CutPrefix(r.URL.Path, Path+"/")
	switch {
	case r.URL.Path == Path && r.Method == http.MethodPost:
		h.register(w, r)
	case r.URL.Path == Path:
		methodNotAllowed(w, http.MethodPost)
	case !managed || id == "" || strings.Contains(id, "/"):
		writeError(w, http.StatusNotFound, "not_found", "there is nothing at this address")
	case r.Method == http.MethodGet:
		h.read(w, r, id)
	case r.Method == http.MethodPut:
		h.update(w, r, id)
	case r.Method == http.MethodDelete:
		h.remove(w, r, id)
	default:
		methodNotAllowed(w, http.MethodGet+", "+http.MethodPut+", "+http.MethodDelete)
	}
}

// response is the client information response (RFC 7591 §3.2.1, RFC 7592
// §3). ClientSecret is present only in the answer to the registration
// that created it.
type response struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string `json:"registration_access_token"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	metadata
}

func (h *Handler) respond(w http.ResponseWriter, status int, c idp.Client, secret, accessToken string) {
	resp := response{
		ClientID: c.ID, ClientSecret: secret, ClientIDIssuedAt: c.CreatedAt.Unix(),
		RegistrationAccessToken: accessToken, RegistrationClientURI: h.d.Issuer + Path + "/" + c.ID,
		metadata: describe(c),
	}
	if !c.Public() {
		never := int64(0) // the secret does not expire
		resp.ClientSecretExpiresAt = &never
	}
	writeJSON(w, status, resp)
}

// bearer returns the token of an Authorization: Bearer header (RFC 6750
// §2.1), or "".
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// unauthorized answers 401 with the challenge of RFC 6750 §3: without an
// error code when the request had no token, invalid_token when it had a
// wrong, expired or used one.
func unauthorized(w http.ResponseWriter, r *http.Request) {
	challenge := "Bearer"
	if bearer(r) != "" {
		challenge = `Bearer error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, "invalid_token", "a valid bearer token is required")
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "invalid_request", "method not allowed")
}

// fail answers an error of the store or of the request: a *metadataError
// is 400, a body too large 413, a busy KDF or store 503, anything else 500
// with the detail in the log only.
func (h *Handler) fail(w http.ResponseWriter, op string, err error) {
	var me *metadataError
	switch {
	case errors.As(err, &me):
		writeError(w, http.StatusBadRequest, me.Code, me.Description)
	case errors.Is(err, errTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_client_metadata", errTooLarge.Error())
	case errors.Is(err, password.ErrBusy), errors.Is(err, idp.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		h.d.Log.Warn(op, "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the provider is busy; retry shortly")
	default:
		h.d.Log.Error(op, "err", err)
		writeError(w, http.StatusInternalServerError, "server_error", "the request could not be completed")
	}
}

func writeError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// record writes an audit event when a Recorder is set.
func (h *Handler) record(ctx context.Context, r *http.Request, typ idp.AuditType, c idp.Client) error {
	if h.d.Audit == nil {
		return nil
	}
	e := idp.AuditEvent{
		Time: h.d.Now(), Type: typ, Actor: idp.ActorClient(c.ID), ClientID: c.ID,
		Detail: map[string]any{
			"via": "dynamic registration", "redirect_uris": c.RedirectURIs, "grant_types": c.GrantTypes,
			"scopes": c.Scopes, "token_endpoint_auth_method": c.TokenEndpointAuthMethod,
		},
	}
	if h.d.ClientAddr != nil {
		e.Address = h.d.ClientAddr(r)
	}
	return h.d.Audit.Record(ctx, e)
}
