package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// homePage is the data of templates/home.html.
type homePage struct {
	Title    string
	Issuer   string
	Flash    string
	SignedIn bool
	Name     string
	IDClaims []claim
	UserInfo []claim
	// AccessExpiry is when the current access token expires, RFC 3339.
	AccessExpiry string
	HasRefresh   bool
	CSRF         string
}

// handleHome shows "Log in" to a visitor and the claims to a member. It is
// also the post-logout redirect URI: a request carrying state is the
// provider sending the browser back after RP-initiated logout.
func (s *server) handleHome(w http.ResponseWriter, r *http.Request) {
	page := homePage{Title: s.cfg.Title, Issuer: s.cfg.Issuer}
	if r.URL.Query().Has("state") {
		if err := s.finishLogout(w, r); err != nil {
			s.renderError(w, r, http.StatusBadRequest, "The logout response does not match a logout started here.", err)
			return
		}
		page.Flash = "You are signed out of this app and of the provider."
	}
	if sess, ok := s.currentSession(r); ok {
		s.store.update(sess.ID, func(x *session) { x.Flash = "" })
		page.Flash = sess.Flash
		page.SignedIn = true
		page.Name = displayName(sess)
		page.IDClaims, page.UserInfo = sess.IDClaims, sess.UserInfo
		page.AccessExpiry = sess.Token.Expiry.UTC().Format(time.RFC3339)
		page.HasRefresh = sess.Token.RefreshToken != ""
		page.CSRF = sess.CSRF
	}
	s.render(w, http.StatusOK, "home.html", page)
}

// displayName picks the friendliest name the claims offer.
func displayName(s session) string {
	for _, want := range []string{"name", "preferred_username", "email"} {
		for _, rows := range [][]claim{s.UserInfo, s.IDClaims} {
			for _, c := range rows {
				if c.Name == want && c.Value != "" {
					return c.Value
				}
			}
		}
	}
	return s.Subject
}

// formSession returns the session of a form post whose CSRF token matches;
// ok is false when the caller has already answered.
func (s *server) formSession(w http.ResponseWriter, r *http.Request) (session, bool) {
	sess, ok := s.currentSession(r)
	if !ok {
		redirect(w, r, "/")
		return session{}, false
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
		s.renderError(w, r, http.StatusForbidden, "This form has expired. Reload the page and try again.", nil)
		return session{}, false
	}
	return sess, true
}

// handleRefresh redeems the refresh token (RFC 6749 §6) and shows the new
// expiry. The provider rotates refresh tokens, so refreshes of one session
// are serialised and each uses the latest token.
func (s *server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.formSession(w, r)
	if !ok {
		return
	}
	sess.refresh.Lock()
	defer sess.refresh.Unlock()
	if sess, ok = s.store.get(sess.ID); !ok {
		redirect(w, r, "/")
		return
	}
	if sess.Token.RefreshToken == "" {
		s.flash(sess.ID, "There is no refresh token: the offline_access scope was not granted.")
		redirect(w, r, "/")
		return
	}
	ctx := s.clientContext(r.Context())
	tok, err := s.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: sess.Token.RefreshToken}).Token()
	if re := (*oauth2.RetrieveError)(nil); errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
		// Revoked, expired, or ended with the provider session: this
		// local session cannot be kept fresh any more.
		s.store.remove(sess.ID)
		s.setCookie(w, s.cookies.session, "", -1)
		s.renderError(w, r, http.StatusUnauthorized, "The provider no longer accepts this session's refresh token. Please log in again.", err)
		return
	}
	if err != nil {
		s.renderError(w, r, http.StatusBadGateway, "Refreshing the tokens failed.", err)
		return
	}
	if err := s.applyRefresh(ctx, sess, tok); err != nil {
		s.renderError(w, r, http.StatusBadGateway, "The provider returned an unacceptable ID token.", err)
		return
	}
	redirect(w, r, "/")
}

// applyRefresh stores the refreshed tokens. A new ID token must describe
// the same login (OpenID Connect Core §12.2): same subject, and the original
// nonce if it carries one.
func (s *server) applyRefresh(ctx context.Context, sess session, tok *oauth2.Token) error {
	raw, _ := tok.Extra("id_token").(string)
	var claims []claim
	if raw != "" {
		idt, err := s.verifier.Verify(ctx, raw)
		if err != nil {
			return fmt.Errorf("refresh: verify id token: %w", err)
		}
		if idt.Subject != sess.Subject {
			return fmt.Errorf("refresh: id token subject changed from %q to %q", sess.Subject, idt.Subject)
		}
		if idt.Nonce != "" && idt.Nonce != sess.Nonce {
			return errors.New("refresh: id token nonce differs from the login's")
		}
		if claims, _, err = idTokenClaims(idt); err != nil {
			return err
		}
	}
	s.store.update(sess.ID, func(x *session) {
		x.Token = tok
		if raw != "" {
			x.IDToken, x.IDClaims = raw, claims
		}
		x.Flash = fmt.Sprintf("Tokens refreshed. The new access token expires at %s.", tok.Expiry.UTC().Format(time.RFC3339))
	})
	return nil
}

func (s *server) flash(id, msg string) {
	s.store.update(id, func(x *session) { x.Flash = msg })
}
