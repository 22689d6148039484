package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"
)

// Base names of the provider's cookies; CookieName adds the prefix.
const (
	// SessionCookie carries the browser session token.
	SessionCookie = "idp_session"
	// csrfCookie binds forms and login flows to the browser.
	csrfCookie = "idp_csrf"
)

// CookieName returns the name a cookie is sent under. With an https issuer
// and no shared cookie domain the __Host- prefix makes the browser refuse
// any cookie not set by this host over TLS for path "/".
func (k *Kit) CookieName(base string) string {
	if k.secureCookies() && k.cfg.CookieDomain == "" {
		return "__Host-" + base
	}
	return base
}

// SetCookie sets (or, with an empty value, clears) the cookie base:
// HttpOnly, SameSite=Lax, Secure under an https issuer.
func (k *Kit) SetCookie(w http.ResponseWriter, base, value string, expires time.Time) {
	c := &http.Cookie{
		Name: k.CookieName(base), Value: value, Path: "/", Domain: k.cfg.CookieDomain,
		HttpOnly: true, Secure: k.secureCookies(), SameSite: http.SameSiteLaxMode,
	}
	if !expires.IsZero() {
		c.Expires = expires
	}
	if value == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// RandomToken returns 32 random bytes, base64url: session cookies, flow
// ids and browser bindings are unguessable.
func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the hex SHA-256 under which a token is stored, so the
// store never holds a live cookie value.
func HashToken(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
