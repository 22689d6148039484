package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
)

// Binding returns this browser's binding nonce, setting the cookie on
// first use. A flow remembers the hash of the nonce of the browser that
// started it, so a flow id leaked from one browser is useless in another.
func (k *Kit) Binding(w http.ResponseWriter, r *http.Request) string {
	if v := cookieValue(r, k.CookieName(csrfCookie)); v != "" {
		return v
	}
	v := RandomToken()
	k.SetCookie(w, csrfCookie, v, time.Time{})
	return v
}

// CSRFToken is the hidden form field of a page about subject (a flow id):
// an HMAC over it and the browser's binding nonce, so a forged form from
// another site, which can read neither, fails (double-submit cookie).
func (k *Kit) CSRFToken(subject, binding string) string {
	m := hmac.New(sha256.New, k.cfg.CSRFKey)
	fmt.Fprintf(m, "%s\x00%s", subject, binding)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// RequireCSRF checks a form's token; when it does not match, it shows the
// page error expired (one of the FormExpired entries) and reports false,
// and the form changes nothing.
func (k *Kit) RequireCSRF(w http.ResponseWriter, r *http.Request, subject string, expired ErrorPage) bool {
	if k.checkCSRF(r, subject) {
		return true
	}
	k.Fail(w, r, expired, fmt.Errorf("csrf token mismatch on %s", r.URL.Path))
	return false
}

// checkCSRF compares in constant time.
func (k *Kit) checkCSRF(r *http.Request, subject string) bool {
	binding := cookieValue(r, k.CookieName(csrfCookie))
	if binding == "" {
		return false
	}
	want := k.CSRFToken(subject, binding)
	return hmac.Equal([]byte(want), []byte(r.PostFormValue("csrf_token")))
}

// SameBrowser reports whether r comes from the browser whose binding
// nonce hashes to bindingHash (a flow's CSRFHash), in constant time.
func (k *Kit) SameBrowser(r *http.Request, bindingHash string) bool {
	binding := cookieValue(r, k.CookieName(csrfCookie))
	return binding != "" && subtle.ConstantTimeCompare([]byte(HashToken(binding)), []byte(bindingHash)) == 1
}

// FormToken is CSRFToken for the browser r comes from, whose binding a
// flow already set: the token of a page re-shown within that flow.
func (k *Kit) FormToken(r *http.Request, subject string) string {
	return k.CSRFToken(subject, cookieValue(r, k.CookieName(csrfCookie)))
}
