package provider

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/idp/idp"
)

// Base names of the provider's cookies; cookieName adds the prefix.
const (
	// sessionCookie carries the browser session token.
	sessionCookie = "idp_session"
	// csrfCookie binds forms and login flows to the browser.
	csrfCookie = "idp_csrf"
)

// cookieName returns the name a cookie is sent under. With an https issuer and no shared cookie domain the
// __Host- prefix makes the browser refuse any cookie not set by this host
// over TLS for path "/".
func (p *Provider) cookieName(base string) string {
	if p.secureCookies() && p.cfg.CookieDomain == "" {
		return "__Host-" + base
	}
	return base
}

func (p *Provider) secureCookies() bool { return strings.HasPrefix(p.cfg.Issuer, "https://") }

func (p *Provider) setCookie(w http.ResponseWriter, base, value string, expires time.Time) {
	c := &http.Cookie{
		Name: p.cookieName(base), Value: value, Path: "/", Domain: p.cfg.CookieDomain,
		HttpOnly: true, Secure: p.secureCookies(), SameSite: http.SameSiteLaxMode,
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

// randomToken returns 32 random bytes, base64url: session cookies, flow
// ids and browser bindings are unguessable.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// binding returns this browser's binding nonce, setting the cookie on
// first use. A flow remembers the hash of the nonce of the browser that
// started it, so a flow id leaked from one browser is useless in another.
func (p *Provider) binding(w http.ResponseWriter, r *http.Request) string {
	if v := cookieValue(r, p.cookieName(csrfCookie)); v != "" {
		return v
	}
	v := randomToken()
	p.setCookie(w, csrfCookie, v, time.Time{})
	return v
}

// csrfToken is the hidden form field of a page about subject (a flow id):
// an HMAC over it and the browser's binding nonce, so a forged form from
// another site, which can read neither, fails (double-submit cookie).
func (p *Provider) csrfToken(subject, binding string) string {
	m := hmac.New(sha256.New, p.csrfKey)
	fmt.Fprintf(m, "%s\x00%s", subject, binding)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// requireCSRF checks a form's token; when it does not match, it answers
// 403 with message and reports false, and the form changes nothing.
func (p *Provider) requireCSRF(w http.ResponseWriter, r *http.Request, subject, message string) bool {
	if p.checkCSRF(r, subject) {
		return true
	}
	p.renderError(w, r, http.StatusForbidden, "Form expired", message, "", fmt.Errorf("csrf token mismatch on %s", r.URL.Path))
	return false
}

// checkCSRF compares in constant time.
func (p *Provider) checkCSRF(r *http.Request, subject string) bool {
	binding := cookieValue(r, p.cookieName(csrfCookie))
	if binding == "" {
		return false
	}
	want := p.csrfToken(subject, binding)
	return hmac.Equal([]byte(want), []byte(r.PostFormValue("csrf_token")))
}

// errNoSession means the browser has no live provider session.
var errNoSession = errors.New("no session")

// browserSession returns the live session the browser's cookie names. An
// idle or past-lifetime session is ended, as a logout would.
func (p *Provider) browserSession(ctx context.Context, r *http.Request) (idp.Session, error) {
	token := cookieValue(r, p.cookieName(sessionCookie))
	if token == "" {
		return idp.Session{}, errNoSession
	}
	s, err := p.store.Sessions.ByTokenHash(ctx, hashToken(token))
	if errors.Is(err, idp.ErrNotFound) {
		return idp.Session{}, errNoSession
	}
	if err != nil {
		return idp.Session{}, fmt.Errorf("load session: %w", err)
	}
	now := p.cfg.Now()
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= p.cfg.SessionIdleTimeout {
		if err := p.endSession(ctx, s); err != nil {
			p.log.Error("end expired session", "err", err)
		}
		return idp.Session{}, errNoSession
	}
	// At most one write a minute, not one per request, but never so rarely
	// that a session in steady use idles out: with an idle timeout of a
	// minute or less, touching only after a minute let the gap since the
	// stored LastSeenAt reach the timeout between two touches.
	if now.Sub(s.LastSeenAt) > min(time.Minute, p.cfg.SessionIdleTimeout/4) {
		if err := p.store.Sessions.Touch(ctx, s.ID, now); err != nil {
			return idp.Session{}, fmt.Errorf("touch session: %w", err)
		}
	}
	return s, nil
}

// signIn records a successful password check: it renews the browser's
// session for the same member (keeping its sid, so apps already signed in
// stay attached to it) or starts a new one, and sets the cookie.
func (p *Provider) signIn(ctx context.Context, w http.ResponseWriter, r *http.Request, memberID string) (idp.Session, error) {
	now := p.cfg.Now().UTC()
	authTime := now.Truncate(time.Second)
	old, err := p.browserSession(ctx, r)
	switch {
	case err == nil && old.MemberID == memberID:
		token := randomToken() // a new cookie value at every sign-in (session fixation)
		old.TokenHash = hashToken(token)
		old.AuthTime, old.LastSeenAt, old.ExpiresAt = authTime, now, now.Add(p.cfg.SessionLifetime)
		if err := p.store.Sessions.Update(ctx, old); err != nil {
			return idp.Session{}, fmt.Errorf("renew session: %w", err)
		}
		p.setCookie(w, sessionCookie, token, old.ExpiresAt)
		return old, nil
	case err == nil: // another member signs in on this browser: the old session ends
		if err := p.endSession(ctx, old); err != nil {
			return idp.Session{}, err
		}
	case !errors.Is(err, errNoSession):
		return idp.Session{}, err
	}
	token := randomToken()
	s := idp.Session{
		ID: randomToken()[:22], TokenHash: hashToken(token), MemberID: memberID,
		AuthTime: authTime, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(p.cfg.SessionLifetime),
	}
	if err := p.store.Sessions.Create(ctx, &s); err != nil {
		return idp.Session{}, fmt.Errorf("create session: %w", err)
	}
	p.setCookie(w, sessionCookie, token, s.ExpiresAt)
	return s, nil
}
