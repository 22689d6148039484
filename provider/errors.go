package provider

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ory/fosite"
)

// renderError shows an error page: for browser requests that cannot be
// redirected back to a client (unknown client, untrusted redirect URI,
// expired login). The page carries a fixed, safe message; the detail is
// logged once, here.
func (p *Provider) renderError(w http.ResponseWriter, r *http.Request, status int, title, message, code string, err error) {
	if err != nil {
		level := p.log.Warn
		if status >= 500 {
			level = p.log.Error
		}
		level("request failed", "path", r.URL.Path, "status", status, "code", code, "err", describe(err))
	}
	p.render(w, status, p.pages.errorPage, errorPage{Title: title, Message: message, Code: code})
}

// renderOAuthError shows a fosite error as a page, with the error code
// and fosite's hint (which never carries secrets).
func (p *Provider) renderOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	msg := rfc.GetDescription()
	p.renderError(w, r, rfc.CodeField, "Sign-in request refused", msg, rfc.ErrorField, err)
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
