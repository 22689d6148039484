// Package account is the signed-in member's own page (/account): who they
// are, how they sign in, where they are signed in, which apps they let in
// and what happened to their account. It is server-rendered over the
// provider's own session: a browser without one is sent through the
// ordinary login page (authflow's local flow) and comes back here. Every
// form carries a CSRF token bound to the session, and every rule it
// applies lives in members, sessions or storage, not here.
package account

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/mfa"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider/passkey"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage"
)

// Path is the account page; its sections live below it.
const (
	Path         = "/account"
	PathPassword = Path + "/password"
	PathSessions = Path + "/sessions"
	PathApps     = Path + "/apps"
	PathActivity = Path + "/activity"
)

// Config is what the account pages need, named rather than reached
// through the provider.
type Config struct {
	Store *storage.Store
	Web   *web.Kit
	Log   *slog.Logger
	Now   func() time.Time
	// SignIn sends a browser without a session to the login page, to come
	// back to returnTo (authflow.Handlers.StartSignIn).
	SignIn func(w http.ResponseWriter, r *http.Request, returnTo string)
	// Members writes a member's own changes through the members rules.
	Members members.Service
	// Mail sends verification links; disabled without a mail server.
	Mail *members.Mail
	// Factors enrols, checks and removes second factors; WriteQR serves
	// an enrolment's QR code (authflow.WriteQR).
	Factors *mfa.Factors
	WriteQR func(w http.ResponseWriter, r *http.Request, e mfa.Enrolment)
	// Throttle counts attempts at codes and passwords (wrong current
	// passwords as failed sign-ins of the member, so the password form is
	// no faster password oracle than /login); KDF runs password
	// derivations in the slots sign-in uses.
	Throttle *web.Throttle
	KDF      *password.Limiter
	// Audit records the member's changes in the transaction ctx carries;
	// nil records nothing.
	Audit Recorder
	// Passkeys runs passkey registration; nil when the issuer cannot be a
	// WebAuthn relying party.
	Passkeys *passkey.Service
	// EndSessions ends sessions as a logout does (sessions.End, refresh
	// tokens revoked, back-channel logouts queued and delivered once the
	// transaction ctx carries commits), recording e for each, with its
	// MemberID and SessionID filled in.
	EndSessions func(ctx context.Context, list []idp.Session, e idp.AuditEvent) error
}

// Recorder writes an audit event in the transaction ctx carries (audit.Log).
type Recorder interface {
	Record(ctx context.Context, e idp.AuditEvent) error
}

// Handlers serves the account pages.
type Handlers struct {
	cfg   Config
	store *storage.Store
	web   *web.Kit
}

// New returns the handlers.
func New(cfg Config) *Handlers {
	return &Handlers{cfg: cfg, store: cfg.Store, web: cfg.Web}
}

// Routes registers the account pages on mux-style registration function
// handle (path, method, handler).
func (h *Handlers) Routes(handle func(path, method string, fn http.HandlerFunc)) {
	handle(Path, http.MethodGet, h.HandleOverview)
	handle(PathEmail, http.MethodGet, h.HandleEmail)
	handle(PathEmail, http.MethodPost, h.HandleSendVerification)
	handle(PathSecurity, http.MethodGet, h.HandleSecurity)
	handle(pathTOTP, http.MethodGet, h.HandleTOTPPage)
	handle(pathTOTP, http.MethodPost, h.HandleTOTPConfirm)
	handle(pathTOTPQR, http.MethodGet, h.HandleTOTPQR)
	handle(pathTOTPRemove, http.MethodPost, h.HandleTOTPRemove)
	handle(pathRecoveryCodes, http.MethodPost, h.HandleRecoveryCodes)
	handle(PathPasskeys, http.MethodGet, h.HandlePasskeys)
	handle(PathPasskeys, http.MethodPost, h.HandlePasskeyAdd)
	handle(PathPasskeys+"/rename", http.MethodPost, h.HandlePasskeyRename)
	handle(PathPasskeys+"/remove", http.MethodPost, h.HandlePasskeyRemove)
	handle(Path, http.MethodPost, h.HandleName)
	handle(PathPassword, http.MethodGet, h.HandlePasswordPage)
	handle(PathPassword, http.MethodPost, h.HandlePassword)
	handle(PathSessions, http.MethodGet, h.HandleSessions)
	handle(PathSessions, http.MethodPost, h.HandleEndSession)
	handle(PathApps, http.MethodGet, h.HandleApps)
	handle(PathApps, http.MethodPost, h.HandleRevokeApp)
	handle(PathActivity, http.MethodGet, h.HandleActivity)
	handle(ProfilePath, http.MethodGet, h.HandleProfile)
	handle(ProfilePath, http.MethodPost, h.HandleProfileSave)
}

// Visit is a signed-in member's request to one of the account pages.
type Visit struct {
	Member  idp.Member
	Session idp.Session
	// CSRFToken is the hidden field every form of the page carries.
	CSRFToken string
}

// Visitor returns the signed-in member of r. A browser without a session
// is sent to sign in and come back to the page it asked for; a member who
// may no longer sign in is signed out. On false the answer is written.
func (h *Handlers) Visitor(w http.ResponseWriter, r *http.Request) (Visit, bool) {
	ctx := r.Context()
	s, err := h.web.Session(ctx, r)
	if errors.Is(err, web.ErrNoSession) {
		h.cfg.SignIn(w, r, r.URL.Path)
		return Visit{}, false
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return Visit{}, false
	}
	m, err := h.store.Members.ByID(ctx, s.MemberID)
	if errors.Is(err, idp.ErrNotFound) || (err == nil && m.Disabled) {
		h.cfg.SignIn(w, r, r.URL.Path)
		return Visit{}, false
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return Visit{}, false
	}
	return Visit{Member: m, Session: s, CSRFToken: h.web.CSRFToken(csrfSubject(s), h.web.Binding(w, r))}, true
}

// csrfSubject binds account forms to the session: a token from another
// session, or from before a sign-in renewed this one, is refused.
func csrfSubject(s idp.Session) string { return "account\x00" + s.ID + "\x00" + s.TokenHash }

// Change is Visitor for a form submission: it also checks the form's CSRF
// token. On false the answer is written and nothing may change.
func (h *Handlers) Change(w http.ResponseWriter, r *http.Request) (Visit, bool) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return v, false
	}
	if !h.web.RequireCSRF(w, r, csrfSubject(v.Session), web.AccountFormExpired) {
		return v, false
	}
	return v, true
}
