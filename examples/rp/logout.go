package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
)

// handleLogout ends the local session and sends the browser to the
// provider's end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0
// §2) with the ID token as hint, so the provider ends its session too and
// tells the other apps over the back channel.
func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.formSession(w, r)
	if !ok {
		return
	}
	s.store.remove(sess.ID)
	s.setCookie(w, s.cookies.session, "", -1)
	if s.endSessionURL == "" {
		redirect(w, r, "/")
		return
	}
	p := pending{State: randomString()}
	s.setCookie(w, s.cookies.logout, s.store.begin(p), int(pendingLifetime.Seconds()))
	redirect(w, r, withQuery(s.endSessionURL, url.Values{
		"id_token_hint":            {sess.IDToken},
		"post_logout_redirect_uri": {s.cfg.PublicURL + "/"},
		"state":                    {p.State},
		"client_id":                {s.cfg.ClientID},
	}))
}

// finishLogout checks that the browser came back from a logout this app
// started, with the state it sent (RP-Initiated Logout §3).
func (s *server) finishLogout(w http.ResponseWriter, r *http.Request) error {
	key := cookieValue(r, s.cookies.logout)
	s.setCookie(w, s.cookies.logout, "", -1)
	p, ok := s.store.finish(key)
	if key == "" || !ok {
		return errors.New("logout return: no logout in flight")
	}
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(p.State)) != 1 {
		return errors.New("logout return: state mismatch")
	}
	return nil
}

// handleBackchannelLogout receives the provider's logout token (OpenID
// Connect Back-Channel Logout 1.0 §2.5) and ends the local sessions of the
// provider session it names. It answers 200 when the token is valid, even
// if no session matched, and 400 otherwise (§2.8).
func (s *server) handleBackchannelLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	raw := r.PostFormValue("logout_token")
	if raw == "" {
		s.logoutRefused(w, "missing logout_token", nil)
		return
	}
	lt, err := s.verifyLogoutToken(r.Context(), raw)
	if err != nil {
		s.logoutRefused(w, "invalid logout_token", err)
		return
	}
	n := s.store.endMatching(func(x *session) bool {
		if lt.SID != "" {
			return x.SID == lt.SID && (lt.Subject == "" || x.Subject == lt.Subject)
		}
		return x.Subject == lt.Subject
	})
	s.cfg.Logger.Info("back-channel logout", slog.String("sid", lt.SID), slog.String("sub", lt.Subject),
		slog.Int("sessions_ended", n))
	w.WriteHeader(http.StatusOK)
}

// logoutRefused answers 400 with an OAuth-style error body (§2.8).
func (s *server) logoutRefused(w http.ResponseWriter, desc string, err error) {
	s.cfg.Logger.Warn("back-channel logout refused", slog.String("reason", desc), slog.Any("err", err))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": desc})
}
