package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/idp/idp"
)

// ErrNoSession means the browser has no live provider session.
var ErrNoSession = errors.New("no session")

// Session returns the live session the browser's cookie names. An
// idle or past-lifetime session is ended, as a logout would.
func (k *Kit) Session(ctx context.Context, r *http.Request) (idp.Session, error) {
	token := cookieValue(r, k.CookieName(SessionCookie))
	if token == "" {
		return idp.Session{}, ErrNoSession
	}
	s, err := k.cfg.Store.Sessions.ByTokenHash(ctx, HashToken(token))
	if errors.Is(err, idp.ErrNotFound) {
		return idp.Session{}, ErrNoSession
	}
	if err != nil {
		return idp.Session{}, fmt.Errorf("load session: %w", err)
	}
	now := k.cfg.Now()
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= k.cfg.SessionIdleTimeout {
		if err := k.cfg.EndSession(ctx, s); err != nil {
			k.cfg.Log.ErrorContext(ctx, "end expired session", "err", err)
		}
		return idp.Session{}, ErrNoSession
	}
	// At most one write a minute, not one per request, but never so rarely
	// that a session in steady use idles out: with an idle timeout of a
	// minute or less, touching only after a minute let the gap since the
	// stored LastSeenAt reach the timeout between two touches.
	if now.Sub(s.LastSeenAt) > min(time.Minute, k.cfg.SessionIdleTimeout/4) {
		if err := k.cfg.Store.Sessions.Touch(ctx, s.ID, now); err != nil {
			return idp.Session{}, fmt.Errorf("touch session: %w", err)
		}
	}
	return s, nil
}

// maxUserAgent bounds the User-Agent kept with a session: enough to name
// the browser on the member's list of sessions.
const maxUserAgent = 256

// SignIn records a successful sign-in with the methods amr (RFC 8176
// values) reaching acr: it renews the browser's session for the same
// member (keeping its sid, so apps already signed in stay attached to it)
// or starts a new one, and sets the cookie.
func (k *Kit) SignIn(ctx context.Context, w http.ResponseWriter, r *http.Request, memberID string, amr []string, acr string) (idp.Session, error) {
	now := k.cfg.Now().UTC()
	authTime := now.Truncate(time.Second)
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	addr := k.ClientAddr(r)
	old, err := k.Session(ctx, r)
	switch {
	case err == nil && old.MemberID == memberID:
		token := RandomToken() // a new cookie value at every sign-in (session fixation)
		old.TokenHash = HashToken(token)
		old.AuthTime, old.LastSeenAt, old.ExpiresAt = authTime, now, now.Add(k.cfg.SessionLifetime)
		old.AMR, old.ACR, old.UserAgent, old.Address = amr, acr, ua, addr
		if err := k.cfg.Store.Sessions.Update(ctx, old); err != nil {
			return idp.Session{}, fmt.Errorf("renew session: %w", err)
		}
		k.SetCookie(w, SessionCookie, token, old.ExpiresAt)
		return old, nil
	case err == nil: // another member signs in on this browser: the old session ends
		if err := k.cfg.EndSession(ctx, old); err != nil {
			return idp.Session{}, err
		}
	case !errors.Is(err, ErrNoSession):
		return idp.Session{}, err
	}
	token := RandomToken()
	s := idp.Session{
		ID: RandomToken()[:22], TokenHash: HashToken(token), MemberID: memberID,
		AuthTime: authTime, AMR: amr, ACR: acr, UserAgent: ua, Address: addr, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(k.cfg.SessionLifetime),
	}
	if err := k.cfg.Store.Sessions.Create(ctx, &s); err != nil {
		return idp.Session{}, fmt.Errorf("create session: %w", err)
	}
	k.SetCookie(w, SessionCookie, token, s.ExpiresAt)
	return s, nil
}
