package provider

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/oauth"
)

// renderError shows an error page: for browser requests that cannot be
// redirected back to a client (unknown client, untrusted redirect URI,
// expired login). The page carries a fixed, safe message; the detail is
// logged once, here.
func (p *Provider) renderError(w http.ResponseWriter, r *http.Request, status int, title, message, code string, err error) {
	if errors.Is(err, idp.ErrUnavailable) {
		status, title, code = http.StatusServiceUnavailable, "Temporarily unavailable", "temporarily_unavailable"
		message = "The service is briefly unavailable. Please try again in a moment."
		setRetryAfter(w, oauth.RetryAfter{Wait: storeRetryAfter, Err: err})
	}
	if err != nil {
		level := p.log.Warn
		if status >= 500 {
			level = p.log.Error
		}
		level("request failed", "path", r.URL.Path, "status", status, "code", code, "err", describe(err))
	}
	p.render(w, status, p.pages.errorPage, errorPage{Title: title, Message: message, Code: code})
}

// renderInternal shows the page for a failure that is not the visitor's
// doing: a fixed message, with the detail logged once by renderError and
// never shown.
func (p *Provider) renderInternal(w http.ResponseWriter, r *http.Request, err error) {
	p.renderError(w, r, http.StatusInternalServerError, "Something went wrong", "Please try again later.", "", err)
}

// renderOAuthError shows a fosite error as a page, with the error code
// and fosite's hint (which never carries secrets).
func (p *Provider) renderOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	msg := rfc.GetDescription()
	p.renderError(w, r, rfc.CodeField, "Sign-in request refused", msg, rfc.ErrorField, err)
}

// storeRetryAfter is the wait a 503 for an unreachable store asks for: a
// database restart or failover usually completes within a few seconds.
const storeRetryAfter = 2 * time.Second

// msgUnavailable is the description of a temporarily_unavailable answer
// for an unreachable store.
const msgUnavailable = "The service is temporarily unavailable; try again shortly."

// storeUnavailable turns an error that says the store could not be reached
// into fosite's temporarily_unavailable (RFC 6749 §4.1.2.1), whatever
// fosite wrapped it in (a failed client lookup becomes invalid_client, any
// other store error server_error): the client did nothing wrong and may
// retry. Other errors pass unchanged.
func storeUnavailable(err error) error {
	if !errors.Is(err, idp.ErrUnavailable) {
		return err
	}
	return fosite.ErrTemporarilyUnavailable.WithHint(msgUnavailable).
		WithWrap(oauth.RetryAfter{Wait: storeRetryAfter, Err: err}).WithDebug(err.Error())
}

// writeUnavailable answers a JSON endpoint with 503 temporarily_unavailable
// and Retry-After when err says the store could not be reached or the
// request was refused for now, and reports whether it did. fosite's own
// writers would answer invalid_client, server_error or, at introspection,
// an "active": false that a resource server cannot tell from a revoked
// token; at revocation fosite reports a failed store call as
// temporarily_unavailable but its writer answers 200, telling the client a
// token is revoked that may still be alive (RFC 7009 §2.2.1 asks for 503).
func (p *Provider) writeUnavailable(w http.ResponseWriter, path string, err error) bool {
	err = storeUnavailable(err)
	if !errors.Is(err, fosite.ErrTemporarilyUnavailable) {
		return false
	}
	p.log.Warn("temporarily unavailable", "path", path, "err", describe(err))
	if !setRetryAfter(w, err) {
		setRetryAfter(w, oauth.RetryAfter{Wait: storeRetryAfter, Err: err})
	}
	w.Header().Set("Cache-Control", "no-store")
	rfc := fosite.ErrorToRFC6749Error(err)
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{
		"error": rfc.ErrorField, "error_description": rfc.GetDescription(),
	})
	return true
}

// describe gives the loggable detail of an error, including fosite's
// debug field, which is never sent to clients.
func describe(err error) string {
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
