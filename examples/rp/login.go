package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// handleLogin starts the authorization code flow with PKCE S256 (RFC 7636,
// RFC 9700 §2.1.1): fresh state, nonce and code verifier kept server-side,
// keyed by a short-lived cookie, so the callback can only be completed by
// the browser that started it.
func (s *server) handleLogin(w http.ResponseWriter, r *http.Request) {
	p := pending{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier()}
	key := s.store.begin(p)
	s.setCookie(w, s.cookies.login, key, int(pendingLifetime.Seconds()))
	http.Redirect(w, r, s.oauth.AuthCodeURL(p.State, oidc.Nonce(p.Nonce), oauth2.S256ChallengeOption(p.Verifier)), http.StatusFound)
}

// handleCallback completes the login: it checks state and the RFC 9207 iss
// parameter before looking at anything else, redeems the code with the
// verifier, verifies the ID token (signature through the JWKS, iss, aud,
// exp, nonce, at_hash), reads userinfo and starts a local session.
func (s *server) handleCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key := cookieValue(r, s.cookies.login)
	s.setCookie(w, s.cookies.login, "", -1)
	p, ok := s.store.finish(key)
	if key == "" || !ok {
		s.renderError(w, r, http.StatusBadRequest, "This login was not started here or took too long. Please log in again.", nil)
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(p.State)) != 1 {
		s.renderError(w, r, http.StatusBadRequest, "The login response does not match the login request (state mismatch).", nil)
		return
	}
	if err := s.checkIssuerParam(r); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The login response came from the wrong issuer.", err)
		return
	}
	if code := q.Get("error"); code != "" {
		s.renderError(w, r, http.StatusBadRequest, fmt.Sprintf("The provider refused the login: %s (%s).", code, q.Get("error_description")), nil)
		return
	}
	if q.Get("code") == "" {
		s.renderError(w, r, http.StatusBadRequest, "The login response carries no authorization code.", nil)
		return
	}
	sess, err := s.redeem(r.Context(), q.Get("code"), p)
	if err != nil {
		s.renderError(w, r, http.StatusBadGateway, "The login could not be completed with the provider.", err)
		return
	}
	// A new session id at every login: a session id planted before login
	// is never promoted (session fixation).
	if old := cookieValue(r, s.cookies.session); old != "" {
		s.store.remove(old)
	}
	id := s.store.add(sess)
	s.setCookie(w, s.cookies.session, id, int(s.cfg.SessionLifetime.Seconds()))
	redirect(w, r, "/")
}

// checkIssuerParam applies RFC 9207 §2.4: when the response names an issuer
// it must be ours, and when the provider advertises the parameter it must be
// there. This stops a mix-up where a code from another provider is sent to
// this one's token endpoint.
func (s *server) checkIssuerParam(r *http.Request) error {
	iss, present := r.URL.Query()["iss"]
	switch {
	case !present && s.issRequired:
		return errors.New("iss parameter missing although the provider advertises it")
	case present && (len(iss) != 1 || iss[0] != s.cfg.Issuer):
		return fmt.Errorf("iss parameter %q, want %q", iss, s.cfg.Issuer)
	}
	return nil
}

// redeem exchanges the code and builds the session from the verified ID
// token and userinfo.
func (s *server) redeem(ctx context.Context, code string, p pending) (session, error) {
	ctx = s.clientContext(ctx)
	tok, err := s.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return session{}, fmt.Errorf("exchange code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return session{}, errors.New("exchange code: no id_token in the token response")
	}
	idt, err := s.verifier.Verify(ctx, raw)
	if err != nil {
		return session{}, fmt.Errorf("verify id token: %w", err)
	}
	// OpenID Connect Core §3.1.3.7 step 11: the nonce binds the ID token
	// to this browser's login request.
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return session{}, errors.New("verify id token: nonce mismatch")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return session{}, fmt.Errorf("verify id token: %w", err)
		}
	}
	idClaims, sid, err := idTokenClaims(idt)
	if err != nil {
		return session{}, err
	}
	sess := session{
		CSRF: randomString(), Subject: idt.Subject, SID: sid, Nonce: p.Nonce,
		IDToken: raw, IDClaims: idClaims, Token: tok,
		Expires: s.cfg.Now().Add(s.cfg.SessionLifetime),
	}
	sess.UserInfo, err = s.userInfo(ctx, tok, idt.Subject)
	if err != nil {
		s.cfg.Logger.Warn("userinfo failed", "err", err)
		sess.Flash = "Signed in, but the userinfo endpoint failed."
	}
	return sess, nil
}

// userInfo reads the userinfo endpoint. Its sub must equal the ID token's
// (OpenID Connect Core §5.3.2), or the response belongs to someone else.
func (s *server) userInfo(ctx context.Context, tok *oauth2.Token, sub string) ([]claim, error) {
	ui, err := s.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	if ui.Subject != sub {
		return nil, fmt.Errorf("userinfo: sub %q differs from the ID token's %q", ui.Subject, sub)
	}
	var raw json.RawMessage
	if err := ui.Claims(&raw); err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	return claimRows(raw)
}
