// Package console is the admin console (/admin): server-rendered pages for
// administrators over the same operations as the admin REST API (members,
// clients, keys, sessions, the audit trail). It needs no JavaScript and
// holds no rule: every change goes through packages members, clients,
// keys and sessions, and is recorded in the audit trail with the signed-in
// administrator as actor, in the transaction that makes it, under the
// event types the admin API records.
//
// Every page is behind one guard (Handlers.guard): the signed-in member
// of the provider's own session (account.Handlers.Visitor; a browser
// without one goes through the login page and back), who must hold the
// role admin, and, with Config.RequireMFA, whose session must have used a
// second factor. Every form is a POST carrying the session's CSRF token
// (account.Handlers.Change checks it). The REST API keeps /admin/v1; no
// console path starts with it.
package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/members"
	"github.com/idp/idp/provider/account"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage"
)

// Path is where the console is mounted; its pages live below it.
const Path = "/admin"

// APIPrefix is the admin REST API's mount point (provider/admin.Prefix),
// which the console must never shadow: its mux does not answer there.
const APIPrefix = Path + "/v1"

// PageSize is the rows of one page of members, clients, sessions or
// audit events: enough to scan on a phone, and a bounded read per request.
const PageSize = 50

// Guard gives the signed-in member of a request (account.Handlers):
// Visitor for a page, Change for a form submission, which also checks the
// form's CSRF token. On false the answer is written.
type Guard interface {
	Visitor(w http.ResponseWriter, r *http.Request) (account.Visit, bool)
	Change(w http.ResponseWriter, r *http.Request) (account.Visit, bool)
}

// Recorder writes an audit event in the transaction ctx carries
// (audit.Log).
type Recorder interface {
	Record(ctx context.Context, e idp.AuditEvent) error
}

// Config is what the console needs, named rather than reached through the
// provider. Every field is required except Now, ClientChanged and
// RequireMFA.
type Config struct {
	Store   *storage.Store
	Web     *web.Kit
	Guard   Guard
	Members members.Service
	// Mail sends invitations; without a mail server the member page
	// offers none.
	Mail     *members.Mail
	Recorder Recorder
	// EndSession ends one provider session with back-channel logout,
	// joining the transaction ctx carries (as the admin API's).
	EndSession func(ctx context.Context, s idp.Session) error
	// ClientChanged is told of each client changed, after the commit, so
	// this replica's client cache forgets it.
	ClientChanged func(id string)
	// KeysChanged is told after a key rotation commits, so this replica
	// loads the new key at once; nil leaves it to the periodic reload.
	KeysChanged func(ctx context.Context)
	// Secret is the system secret, which seals rotated signing keys.
	Secret []byte
	Log    *slog.Logger
	Now    func() time.Time
	// RequireMFA admits only administrators whose session used a second
	// factor (idp.AMRMFA in its AMR).
	RequireMFA bool
}

// Handlers serves the console.
type Handlers struct {
	cfg   Config
	store *storage.Store
	web   *web.Kit
	pages web.ConsolePages
	mux   *http.ServeMux
}

// New returns the console's handler; it expects the paths Path and
// Path+"/..." except APIPrefix and below.
func New(cfg Config) *Handlers {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientChanged == nil {
		cfg.ClientChanged = func(string) {}
	}
	if cfg.KeysChanged == nil {
		cfg.KeysChanged = func(context.Context) {}
	}
	h := &Handlers{cfg: cfg, store: cfg.Store, web: cfg.Web, pages: cfg.Web.Pages.Console, mux: http.NewServeMux()}
	h.routes()
	return h
}

// page is a console page: it runs after the guard admitted v.
type page func(w http.ResponseWriter, r *http.Request, v account.Visit)

// routes registers every console page in one place. get and post put the
// guard in front of each, so no page can be reached without it.
func (h *Handlers) routes() {
	get := func(pattern string, p page) { h.mux.Handle("GET "+Path+pattern, h.guarded(false, p)) }
	post := func(pattern string, p page) { h.mux.Handle("POST "+Path+pattern, h.guarded(true, p)) }
	get("", func(w http.ResponseWriter, r *http.Request, _ account.Visit) {
		http.Redirect(w, r, Path+"/members", http.StatusSeeOther)
	})
	get("/{$}", func(w http.ResponseWriter, r *http.Request, _ account.Visit) {
		http.Redirect(w, r, Path+"/members", http.StatusSeeOther)
	})

	get("/members", h.listMembers)
	get("/members/new", h.newMember)
	post("/members/new", h.createMember)
	get("/members/{id}", h.showMember)
	post("/members/{id}", h.updateMember)
	post("/members/{id}/disable", h.setDisabled(true))
	post("/members/{id}/enable", h.setDisabled(false))
	post("/members/{id}/password", h.setPassword)
	post("/members/{id}/sessions/end", h.endMemberSessions)
	get("/members/{id}/remove", h.confirmRemove)
	post("/members/{id}/remove", h.removeMember)
	post("/members/{id}/factors/reset", h.resetFactors)
	post("/members/{id}/invite", h.inviteMember)

	get("/clients", h.listClients)
	get("/clients/new", h.newClient)
	post("/clients/new", h.createClient)
	get("/clients/{id}", h.showClient)
	post("/clients/{id}", h.updateClient)
	post("/clients/{id}/secret", h.rotateSecret)

	get("/sessions", h.listSessions)
	post("/sessions/{sid}/end", h.endSession)

	get("/audit", h.listAudit)

	get("/keys", h.listKeys)
	post("/keys/rotate", h.rotateKey)

	// Anything else under the console is guarded too, so an unknown path
	// tells a visitor who is not an administrator nothing.
	h.mux.Handle(Path+"/", h.guarded(false, func(w http.ResponseWriter, r *http.Request, _ account.Visit) {
		h.web.Fail(w, r, web.NotFound, nil)
	}))
}

// ServeHTTP serves the console's pages. A path of the REST API never
// reaches it when the provider mounts both; should one, it is not found
// rather than served as a page.
func (h *Handlers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == APIPrefix || strings.HasPrefix(r.URL.Path, APIPrefix+"/") {
		h.web.Fail(w, r, web.NotFound, errors.New("admin API path reached the console"))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// guarded admits only a signed-in administrator (with a second factor
// when Config.RequireMFA), and for a form (change) only with the form's
// CSRF token. Role and state are read from the store at every request
// (Visitor), so a demotion or a disabling takes effect at once.
func (h *Handlers) guarded(change bool, p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v account.Visit
		var ok bool
		if change {
			v, ok = h.cfg.Guard.Change(w, r)
		} else {
			v, ok = h.cfg.Guard.Visitor(w, r)
		}
		if !ok {
			return
		}
		if v.Member.Role != idp.RoleAdmin {
			h.web.Fail(w, r, web.ConsoleForbidden, fmt.Errorf("console: member %s is not an administrator", v.Member.ID))
			return
		}
		if h.cfg.RequireMFA && !slices.Contains(v.Session.AMR, idp.AMRMFA) {
			h.web.Fail(w, r, web.ConsoleNeedsMFA, fmt.Errorf("console: session of administrator %s has no second factor", v.Member.ID))
			return
		}
		p(w, r, v)
	})
}

// record writes an audit event of the administrator v in the transaction
// ctx carries.
func (h *Handlers) record(ctx context.Context, r *http.Request, v account.Visit, e idp.AuditEvent) error {
	e.Actor, e.Time, e.Address = idp.ActorMember(v.Member.ID), h.cfg.Now().UTC(), h.web.ClientAddr(r)
	return h.cfg.Recorder.Record(ctx, e)
}

// fail answers an error of the store or of an operation: not found as the
// console's not-found page, anything else as the internal error page.
func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, idp.ErrNotFound):
		h.web.Fail(w, r, web.ConsoleNotFound, err)
		return
	case errors.Is(err, members.ErrMailOff):
		h.web.Fail(w, r, web.ConsoleMailOff, err)
		return
	}
	h.web.Internal(w, r, err)
}

// done sends the browser to to after a change (POST, redirect, GET), with
// the word that names its notice.
func done(w http.ResponseWriter, r *http.Request, to, notice string) {
	u := to
	if notice != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		u += sep + "done=" + url.QueryEscape(notice)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// The refusals of the console's forms that are the console's own words
// (the members and clients rules name their fields in theirs); pages
// show them through the catalog.
const (
	msgTaken            = "That is already taken by another record: choose another."
	msgBadCursor        = "That page link is not valid: start from the first page."
	msgNotADate         = "%s: not a date and time such as 2026-01-02T15:04"
	msgBadActivateAfter = "activate_after: not a duration such as 2m or 1h"
	msgBadAlg           = "alg: not one of %s"
)

// notices are the sentences a page shows after a change, by the word done
// passed; anything else shows nothing, so no text of the URL is echoed.
var notices = map[string]string{
	"added":     "Added.",
	"saved":     "Saved.",
	"disabled":  "The member is disabled and their sessions have ended.",
	"enabled":   "The member is enabled.",
	"password":  "The password is set.",
	"ended":     "Their sessions have ended.",
	"factors":   "Their second factors were removed; they enrol again when they must.",
	"invited":   "An invitation to choose a password was mailed to them.",
	"removed":   "The member is removed.",
	"session":   "The session has ended.",
	"rotated":   "A new key is added.",
	"unchanged": "Nothing changed.",
}

func notice(r *http.Request) string { return notices[r.URL.Query().Get("done")] }

// problems turns a refusal of the members or clients rules (one field
// error, or several joined, possibly wrapped with the operation) into the
// lines of a form's error list, each naming its field.
func problems(err error) []string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch t := e.(type) {
		case *members.FieldError:
			return []string{t.Error()}
		case *clients.FieldError:
			return []string{t.Error()}
		case interface{ Unwrap() []error }:
			var out []string
			for _, x := range t.Unwrap() {
				out = append(out, problems(x)...)
			}
			return out
		}
	}
	return []string{err.Error()}
}

// version is the optimistic lock of an edit form: the record's UpdatedAt
// when the form was shown.
func version(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// errStale is a save over a change made since the form was shown.
var errStale = errors.New(msgStale)

const msgStale = "someone changed this since you opened the page: reload it and make your change again"
