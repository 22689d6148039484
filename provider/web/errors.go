package web

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/idp/idp"
)

// ErrorPage is what an error page shows: a status, a title and a fixed,
// safe message, and for a refused protocol request its error code.
type ErrorPage struct {
	Status         int
	Title, Message string
	Code           string
}

// The page errors, one entry each: handlers name an entry, never write
// the words themselves, so every page says the same thing for the same
// failure. Internal is the one answer to a failure that is not the
// visitor's doing; Unavailable replaces any entry when the store could
// not be reached.
var (
	NotFound         = ErrorPage{http.StatusNotFound, "Page not found", "There is nothing at this address.", ""}
	MethodNotAllowed = ErrorPage{http.StatusMethodNotAllowed, "Method not allowed", "This address does not accept that request method.", ""}
	TooLarge         = ErrorPage{http.StatusRequestEntityTooLarge, "Request too large", "The request body is larger than 64 KiB.", ""}
	FlowExpired      = ErrorPage{http.StatusBadRequest, "Sign-in expired",
		"This sign-in page has expired or was already used. Go back to the application and sign in again.", ""}
	FlowElsewhere = ErrorPage{http.StatusForbidden, "Sign-in started elsewhere",
		"This sign-in page belongs to another browser or its cookies were cleared. Go back to the application and sign in again.", ""}
	LoginFormExpired = ErrorPage{http.StatusForbidden, "Form expired",
		"The form could not be verified. Go back to the application and sign in again.", ""}
	ConsentFormExpired = ErrorPage{http.StatusForbidden, "Form expired",
		"The form could not be verified. Go back to the application and try again.", ""}
	LogoutFormExpired = ErrorPage{http.StatusForbidden, "Form expired",
		"The sign-out form could not be verified. Nothing was changed.", ""}
	AccountFormExpired = ErrorPage{http.StatusForbidden, "Form expired",
		"The form could not be verified. Reload your account page and try again. Nothing was changed.", ""}
	LinkFormExpired = ErrorPage{http.StatusForbidden, "Form expired",
		"The form could not be verified. Open the link from your mail again. Nothing was changed.", ""}
	AccountSessionNotFound = ErrorPage{http.StatusNotFound, "Session not found",
		"This session has already ended or is not one of yours. Nothing was changed.", ""}
	AccountAppNotFound = ErrorPage{http.StatusNotFound, "App not found",
		"You have not allowed this app, or its access was already removed. Nothing was changed.", ""}
	// The admin console's refusals (package console): a member who is no
	// administrator, an administrator whose session lacks the second factor
	// the console requires, and a console form whose token does not match.
	ConsoleForbidden = ErrorPage{http.StatusForbidden, "Not allowed",
		"The admin console is only for administrators. Your account page is at /account.", ""}
	ConsoleNeedsMFA = ErrorPage{http.StatusForbidden, "Second factor needed",
		"The admin console needs a sign-in with a second factor. Set one up on your account page, then sign out and sign in again with it.", ""}
	ConsoleMailOff = ErrorPage{http.StatusConflict, "Mail is off",
		"This service sends no mail, so no invitation was sent. Nothing was changed. Go back to the admin console.", ""}
	ConsoleNotFound = ErrorPage{http.StatusNotFound, "Not found",
		"There is no such member, client or session. It may have been removed. Go back to the admin console.", ""}
	NotSignedIn = ErrorPage{http.StatusBadRequest, "Not signed in",
		"Sign in before answering this request. Go back to the application and try again.", ""}
	DeviceCodeExpired = ErrorPage{http.StatusBadRequest, "Code expired",
		"This device code has expired or was already answered. Start again on your device.", ""}
	UnknownAnswer = ErrorPage{http.StatusBadRequest, "Unknown answer", "Choose Allow or Deny.", ""}
	AlreadyDone   = ErrorPage{http.StatusConflict, "Already signed in", "This sign-in request was already completed. Go back to the application.", ""}
	BadLogout     = ErrorPage{http.StatusBadRequest, "Bad request", "The sign-out request could not be read.", "invalid_request"}
	Busy          = ErrorPage{http.StatusServiceUnavailable, "Busy", "The service is busy. Wait a moment and try again.", ""}
	Internal      = ErrorPage{http.StatusInternalServerError, "Something went wrong", "Please try again later.", ""}
	Unavailable   = ErrorPage{http.StatusServiceUnavailable, "Temporarily unavailable", "The service is briefly unavailable. Please try again in a moment.", "temporarily_unavailable"}
)

// The messages of the account forms, shown above the form (role="alert")
// when the member's input is refused; like the error pages, handlers name
// them and never write the words themselves.
const (
	MsgWrongCurrentPassword = "The current password is incorrect."
	MsgTooManyAttempts      = "Too many failed attempts. Wait a few minutes and try again."
	MsgPasswordRule         = "The new password must be between %d and %d characters long."
	MsgPasswordMismatch     = "The new password and its confirmation do not match."
	MsgNameRule             = "The name must be at most %d bytes long."
)

// UnknownClient and BadRedirect are the refusals of an authorization
// request that cannot be sent back to the application: its client_id is
// unknown, or its redirect_uri is not registered (RFC 6749 §4.1.2.1).
var (
	UnknownClient = ErrorPage{http.StatusBadRequest, "Unknown application",
		"The application that sent you here is not registered with this sign-in service. Go back to the application; if this happens again, tell the people who run it.", ""}
	BadRedirect = ErrorPage{http.StatusBadRequest, "Sign-in request refused",
		"The application asked to send you back to an address it has not registered, so you were not sent there. Go back to the application; if this happens again, tell the people who run it.", ""}
	badRequest = ErrorPage{http.StatusBadRequest, "Sign-in request refused",
		"The application sent a sign-in request this service cannot accept. Go back to the application and try again; if this happens again, tell the people who run it.", ""}
)

// Refused is the page of a sign-in request refused by the protocol
// rules that cannot go back to the client. The page says what happened in
// plain words; the protocol error code stays, and fosite's description
// (spec language, meant for the application's developer) goes only to
// the log, through Fail.
func Refused(err error) ErrorPage {
	rfc := fosite.ErrorToRFC6749Error(err)
	page := badRequest
	switch rfc.ErrorField {
	case fosite.ErrInvalidClient.ErrorField:
		page = UnknownClient
	case fosite.ErrTemporarilyUnavailable.ErrorField:
		page = Busy
	case fosite.ErrServerError.ErrorField:
		page = Internal
	}
	if rfc.CodeField >= 400 {
		page.Status = rfc.CodeField
	}
	page.Code = rfc.ErrorField
	return page
}

// Fail shows an error page: for browser requests that cannot be
// redirected back to a client (unknown client, untrusted redirect URI,
// expired login). The detail of err is logged once, here, with the
// request id, and never shown; the page shows that id as its reference,
// so the operator finds the detail from what the visitor reads out.
func (k *Kit) Fail(w http.ResponseWriter, r *http.Request, page ErrorPage, err error) {
	if errors.Is(err, idp.ErrUnavailable) {
		page = Unavailable
		SetRetryAfter(w, idp.UnavailableRetryAfter)
	}
	if err != nil {
		level := slog.LevelWarn
		if page.Status >= 500 {
			level = slog.LevelError
		}
		k.cfg.Log.Log(r.Context(), level, "request failed", "path", r.URL.Path, "status", page.Status, "code", page.Code, "err", Describe(err))
	}
	back, label := wayBack(r.URL.Path)
	k.Render(w, r, page.Status, k.Pages.errorPage, errorPage{
		Title: page.Title, Message: page.Message, Code: page.Code,
		// The request id the metrics middleware set on the response and
		// in every log line of this request.
		Reference: w.Header().Get("X-Request-Id"),
		Back:      back, BackLabel: label,
	})
}

// wayBack is where an error page links back to: the page of the
// provider's own the failed request belongs to. Requests of an
// application's sign-in have none the provider can vouch for; their
// message says to go back to the application.
func wayBack(path string) (href, label string) {
	switch {
	case path == "/account" || strings.HasPrefix(path, "/account/"):
		return "/account", "Go to your account"
	case path == "/device" || strings.HasPrefix(path, "/device/"):
		return "/device", "Enter a device code"
	case path == "/oauth2/logout":
		return "/account", "Go to your account"
	}
	return "", ""
}

// Internal shows the Internal page for err.
func (k *Kit) Internal(w http.ResponseWriter, r *http.Request, err error) {
	k.Fail(w, r, Internal, err)
}

// SetRetryAfter sets Retry-After (RFC 9110 §10.2.3) to wait, in whole
// seconds, at least one.
func SetRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(wait, time.Second).Seconds()))))
}

// Describe gives the loggable detail of an error, including fosite's
// debug field, which is never sent to clients.
func Describe(err error) string {
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) {
		s := rfc.ErrorField + ": " + rfc.GetDescription()
		if rfc.DebugField != "" {
			s += " (" + rfc.DebugField + ")"
		}
		return s
	}
	return err.Error()
}
