package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/sessions"
)

// logoutRequest is a validated RP-initiated logout (OpenID Connect
// RP-Initiated Logout 1.0 §2): where to send the browser afterwards, if
// anywhere, and whether the hint proved which session to end.
type logoutRequest struct {
	Redirect string `json:"r,omitempty"` // post_logout_redirect_uri with state, only when trusted
	ClientID string `json:"c,omitempty"`
	// HintSID and HintSub come from a verified id_token_hint.
	HintSID string    `json:"sid,omitempty"`
	HintSub string    `json:"sub,omitempty"`
	Expires time.Time `json:"exp"`
}

// handleLogout is the end_session_endpoint. It ends the session without a
// question when a valid id_token_hint names it, and asks otherwise (a bare
// link must not sign anyone out, RP-Initiated Logout §2 and §6). It only
// redirects to a post_logout_redirect_uri registered, exactly, for the
// client that the hint or client_id identifies.
func (p *Provider) handleLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.PostFormValue("logout_flow") != "" {
		p.handleLogoutConfirm(w, r)
		return
	}
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		p.web.Fail(w, r, web.BadLogout, err)
		return
	}
	lr := p.parseLogout(ctx, r.Form)
	s, err := p.web.Session(ctx, r)
	if errors.Is(err, web.ErrNoSession) { // nothing to end
		p.afterLogout(w, r, lr)
		return
	}
	if err != nil {
		p.web.Internal(w, r, err)
		return
	}
	if lr.HintSID == s.ID || (lr.HintSID == "" && lr.HintSub != "" && lr.HintSub == s.MemberID) {
		if err := p.logoutSession(ctx, r, s, lr.ClientID); err != nil {
			p.web.Internal(w, r, err)
			return
		}
		p.web.SetCookie(w, web.SessionCookie, "", time.Time{})
		p.afterLogout(w, r, lr)
		return
	}
	// Ask first. The validated request travels in a signed form field.
	lr.HintSID, lr.HintSub = "", ""
	lr.Expires = p.cfg.Now().Add(p.cfg.LoginFlowLifespan)
	blob := p.signLogout(lr)
	var memberName string
	if m, err := p.store.Members.ByID(ctx, s.MemberID); err == nil {
		memberName = m.Name
	}
	clientName := ""
	if lr.ClientID != "" {
		clientName = p.oauth.ClientName(ctx, lr.ClientID)
	}
	p.web.Render(w, r, http.StatusOK, p.web.Pages.Logout, web.LogoutPage{
		MemberName: memberName, ClientName: clientName, Flow: blob,
		CSRFToken: p.web.CSRFToken("logout:"+blob, p.web.Binding(w, r)),
	})
}

// handleLogoutConfirm acts on the confirmation page's answer.
func (p *Provider) handleLogoutConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	blob := r.PostFormValue("logout_flow")
	lr, ok := p.openLogout(blob)
	if !ok {
		p.web.Fail(w, r, web.LogoutFormExpired, errors.New("logout form state invalid"))
		return
	}
	if !p.web.RequireCSRF(w, r, "logout:"+blob, web.LogoutFormExpired) {
		return
	}
	if r.PostFormValue("logout") != "yes" {
		p.web.Render(w, r, http.StatusOK, p.web.Pages.LoggedOut, web.LoggedOutPage{SignedOut: false})
		return
	}
	s, err := p.web.Session(ctx, r)
	if err == nil {
		err = p.logoutSession(ctx, r, s, lr.ClientID)
	}
	if err != nil && !errors.Is(err, web.ErrNoSession) {
		p.web.Internal(w, r, err)
		return
	}
	p.web.SetCookie(w, web.SessionCookie, "", time.Time{})
	p.afterLogout(w, r, lr)
}

func (p *Provider) afterLogout(w http.ResponseWriter, r *http.Request, lr logoutRequest) {
	if lr.Redirect != "" {
		http.Redirect(w, r, lr.Redirect, http.StatusSeeOther)
		return
	}
	p.web.Render(w, r, http.StatusOK, p.web.Pages.LoggedOut, web.LoggedOutPage{SignedOut: true})
}

// parseLogout validates the parameters. Anything doubtful (a hint that
// does not verify, a client_id that contradicts it, an unregistered or
// altered redirect URI) drops the redirect rather than failing: the member
// can still sign out, they just stay on the provider's page.
func (p *Provider) parseLogout(ctx context.Context, form url.Values) logoutRequest {
	var lr logoutRequest
	clientID := form.Get("client_id")
	trusted := true
	if hint := form.Get("id_token_hint"); hint != "" {
		claims, err := p.verifyIDTokenHint(ctx, hint)
		if err != nil {
			p.log.InfoContext(ctx, "logout: id_token_hint rejected", "err", err)
			trusted = false
		} else {
			aud := claimStrings(claims["aud"])
			switch {
			case clientID == "" && len(aud) == 1:
				clientID = aud[0]
			case clientID != "" && !slices.Contains(aud, clientID):
				trusted = false
			}
			lr.HintSub, _ = claims["sub"].(string)
			lr.HintSID, _ = claims["sid"].(string)
		}
	}
	lr.ClientID = clientID
	target := form.Get("post_logout_redirect_uri")
	if target == "" || !trusted || clientID == "" {
		return lr
	}
	c, err := p.oauth.Client(ctx, clientID)
	if err != nil || !slices.Contains(c.PostLogoutRedirectURIs, target) {
		return lr
	}
	if state := form.Get("state"); state != "" {
		u, err := url.Parse(target)
		if err != nil {
			return lr
		}
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
		target = u.String()
	}
	lr.Redirect = target
	return lr
}

// verifyIDTokenHint checks the hint was signed by this provider for this
// issuer. An expired hint is still a valid hint (RP-Initiated Logout §2).
func (p *Provider) verifyIDTokenHint(ctx context.Context, hint string) (jwt.MapClaims, error) {
	t, err := p.oauth.Signer.Decode(ctx, hint)
	var ve *jwt.ValidationError
	if err != nil && !(errors.As(err, &ve) && ve.Errors == jwt.ValidationErrorExpired) {
		return nil, fmt.Errorf("verify id_token_hint: %w", err)
	}
	if t == nil {
		return nil, errors.New("verify id_token_hint: invalid")
	}
	if typ, _ := t.Header["typ"].(string); strings.EqualFold(typ, "at+jwt") {
		return nil, errors.New("verify id_token_hint: an access token, not an ID token")
	}
	if iss, _ := t.Claims["iss"].(string); iss != p.cfg.Issuer {
		return nil, errors.New("verify id_token_hint: foreign issuer")
	}
	return t.Claims, nil
}

func claimStrings(v interface{}) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []interface{}:
		var out []string
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return a
	}
	return nil
}

// logoutAAD binds sealed logout state to its use.
var logoutAAD = []byte("logout")

// signLogout seals the validated request into the confirmation form, so
// the answer acts on exactly what was checked, and the browser can neither
// read nor change it.
func (p *Provider) signLogout(lr logoutRequest) string {
	raw, _ := json.Marshal(lr) // plain strings and a time: never fails
	return p.logoutState.SealText(raw, logoutAAD)
}

// openLogout returns the request signLogout sealed, unless it was changed
// or has expired.
func (p *Provider) openLogout(blob string) (logoutRequest, bool) {
	raw, err := p.logoutState.OpenText(blob, logoutAAD)
	var lr logoutRequest
	if err != nil || json.Unmarshal(raw, &lr) != nil || !p.cfg.Now().Before(lr.Expires) {
		return logoutRequest{}, false
	}
	return lr, true
}

// endSession ends a provider session nobody signed out of: past its
// lifetime, idle too long, or replaced by a new sign-in in the same
// browser. See endWith.
func (p *Provider) endSession(ctx context.Context, s idp.Session) error {
	now := p.cfg.Now()
	reason := "replaced"
	switch {
	case !now.Before(s.ExpiresAt):
		reason = "expired"
	case now.Sub(s.LastSeenAt) >= p.cfg.SessionIdleTimeout:
		reason = "idle"
	}
	return p.endWith(ctx, s, &idp.AuditEvent{Type: idp.AuditSessionEnded, Actor: idp.ActorSystem,
		Detail: map[string]any{"reason": reason}})
}

// endAdminSession ends a session for the admin API, which records the
// event itself, with the administrator as its actor.
func (p *Provider) endAdminSession(ctx context.Context, s idp.Session) error {
	return p.endWith(ctx, s, nil)
}

// logoutSession ends the session the member signed out of at r, from
// the client that sent them, when the request named one.
func (p *Provider) logoutSession(ctx context.Context, r *http.Request, s idp.Session, clientID string) error {
	return p.endWith(ctx, s, &idp.AuditEvent{Type: idp.AuditLogout, Actor: idp.ActorMember(s.MemberID),
		ClientID: clientID, Address: p.web.ClientAddr(r)})
}

// endWith ends a provider session as endAll does, its refresh tokens
// revoked unless Config.KeepRefreshTokensOnLogout says otherwise.
func (p *Provider) endWith(ctx context.Context, s idp.Session, e *idp.AuditEvent) error {
	return p.endAll(ctx, []idp.Session{s}, !p.cfg.KeepRefreshTokensOnLogout, e)
}

// endAccountSessions ends sessions the member signed out of on their
// account page (or ended by changing their password): as endAll does,
// always revoking their refresh tokens, since a member who ends a
// session elsewhere means to lock out whoever holds it.
func (p *Provider) endAccountSessions(ctx context.Context, list []idp.Session, e idp.AuditEvent) error {
	return p.endAll(ctx, list, true, &e)
}

// endAll ends provider sessions (sessions.End) and records e, when given,
// for each, in one transaction joining the one ctx carries; once that
// commits, it wakes the back-channel notifier, without waiting for its
// deliveries.
func (p *Provider) endAll(ctx context.Context, list []idp.Session, revoke bool, e *idp.AuditEvent) error {
	if len(list) == 0 {
		return nil
	}
	return p.store.InTx(ctx, func(ctx context.Context) error {
		if err := sessions.End(ctx, p.store, list, revoke); err != nil {
			return err
		}
		for _, s := range list {
			if e != nil {
				ev := *e
				ev.MemberID, ev.SessionID = s.MemberID, s.ID
				if err := p.audit.Record(ctx, ev); err != nil {
					return err
				}
			}
			p.store.AfterCommit(ctx, func() { p.log.InfoContext(ctx, "session ended", "member", s.MemberID) })
		}
		p.store.AfterCommit(ctx, p.logout.Notify)
		return nil
	})
}
