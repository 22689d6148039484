// Package admin is the administrative REST API served at /admin/v1: members,
// their sessions and consents, clients, signing keys. It is an HTTP layer
// only: every change goes through the rules of packages members, clients
// and keys, the same the command line and the bootstrap file apply, and is
// recorded in the audit trail with the actor in the transaction that makes
// it.
//
// Requests carry an OAuth 2.0 bearer access token of the provider itself
// (RFC 6750) holding the scope idp:admin; Verifier checks it. Bodies are
// JSON with the bootstrap file's field names; errors are RFC 9457 problem
// documents; the API is described by the OpenAPI 3.1 document openapi.json,
// served at /admin/v1/openapi.json.
package admin

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/storage"
)

// Prefix is where the API is mounted.
const Prefix = "/admin/v1"

// Recorder writes an audit event. It is called inside the transaction of
// the change the event describes, with that transaction in ctx, so an event
// is recorded exactly when its change commits.
type Recorder interface {
	Record(ctx context.Context, e idp.AuditEvent) error
}

// Config is what the API needs; every field is required except Now and
// Address.
type Config struct {
	Store   *storage.Store
	Members members.Service
	// Mail sends invitations and verification links; disabled (never
	// nil) without a mail server.
	Mail     *members.Mail
	Verifier Verifier
	Recorder Recorder
	// EndSession ends one provider session with back-channel logout, as
	// the logout endpoint does, joining the transaction ctx carries.
	EndSession func(ctx context.Context, s idp.Session) error
	// ClientChanged is told, after the change committed, of each client
	// updated, given a new secret or removed, so a cache of clients in
	// this process forgets it at once; nil when there is none.
	ClientChanged func(id string)
	// Secret is the system secret, which seals rotated signing keys.
	Secret []byte
	Logger *slog.Logger
	Now    func() time.Time
	// Address gives the client address of a request for the audit trail
	// (the provider's trusted-proxy rules); nil records none.
	Address func(*http.Request) string
}

// API serves /admin/v1.
type API struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the API handler; it expects requests whose path starts with
// Prefix.
func New(cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientChanged == nil {
		cfg.ClientChanged = func(string) {}
	}
	if cfg.Address == nil {
		cfg.Address = func(*http.Request) string { return "" }
	}
	a := &API{cfg: cfg, mux: http.NewServeMux()}
	a.routes()
	return a
}

// routes registers every endpoint in one place.
func (a *API) routes() {
	open := func(pattern string, h handlerFunc) { a.mux.Handle(pattern, a.serve(h)) }
	auth := func(pattern string, h handlerFunc) { a.mux.Handle(pattern, a.serve(a.authorized(h))) }
	open("GET "+Prefix+"/openapi.json", a.handleOpenAPI)

	auth("GET "+Prefix+"/members", a.listMembers)
	auth("POST "+Prefix+"/members", a.createMember)
	auth("GET "+Prefix+"/members/{id}", a.getMember)
	auth("PATCH "+Prefix+"/members/{id}", a.patchMember)
	auth("DELETE "+Prefix+"/members/{id}", a.deleteMember)
	auth("POST "+Prefix+"/members/{id}/invite", a.inviteMember)
	auth("POST "+Prefix+"/members/{id}/reset-mfa", a.resetMFA)
	auth("GET "+Prefix+"/members/{id}/sessions", a.listSessions)
	auth("DELETE "+Prefix+"/sessions/{sid}", a.deleteSession)
	auth("GET "+Prefix+"/members/{id}/consents", a.listConsents)
	auth("DELETE "+Prefix+"/members/{id}/consents/{client_id}", a.deleteConsent)

	auth("GET "+Prefix+"/clients", a.listClients)
	auth("POST "+Prefix+"/clients", a.createClient)
	auth("GET "+Prefix+"/clients/{id}", a.getClient)
	auth("PATCH "+Prefix+"/clients/{id}", a.patchClient)
	auth("DELETE "+Prefix+"/clients/{id}", a.deleteClient)
	auth("POST "+Prefix+"/clients/{id}/secret", a.rotateClientSecret)

	auth("GET "+Prefix+"/keys", a.listKeys)
	auth("POST "+Prefix+"/keys/rotate", a.rotateKey)

	auth("GET "+Prefix+"/audit-events", a.listAuditEvents)

	a.mux.Handle(Prefix+"/", a.serve(func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute
	}))
}

// ServeHTTP answers every request under Prefix, with a bounded body.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.ContentLength > MaxBodyBytes {
		a.writeError(w, r, errTooLarge)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	a.mux.ServeHTTP(w, r)
}

// handlerFunc is an endpoint: it writes its success itself and returns
// every failure, which serve maps to a problem document in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *API) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}
