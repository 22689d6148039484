package provider

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// msgBadCredentials is the one message for a wrong password and an
// unknown account, so the page tells nobody which accounts exist.
const msgBadCredentials = "The username or password is incorrect."

// msgThrottled answers too many failed attempts; it says nothing about
// whether the account exists either.
const msgThrottled = "Too many failed attempts. Wait a few minutes and try again."

// handleLoginPage shows the sign-in form for a flow.
func (p *Provider) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	f, ok := p.loadFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	params, _ := url.ParseQuery(f.Params)
	p.renderLogin(w, r, f, params.Get("login_hint"), "", http.StatusOK)
}

func (p *Provider) renderLogin(w http.ResponseWriter, r *http.Request, f idp.Flow, username, msg string, status int) {
	p.web.Render(w, status, p.web.Pages.Login, web.LoginPage{
		ClientName: p.clientName(r.Context(), f.ClientID), FlowID: f.ID,
		CSRFToken: p.web.FormToken(r, f.ID),
		Username:  username, Error: msg,
	})
}

func (p *Provider) clientName(ctx context.Context, id string) string {
	if c, err := p.oauth.Client(ctx, id); err == nil && c.Name != "" {
		return c.Name
	}
	return id
}

// handleLogin checks the password, starts or renews the session, and
// resumes the authorization request.
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, ok := p.loadFlow(w, r, r.PostFormValue("flow"))
	if !ok {
		return
	}
	if !p.web.RequireCSRF(w, r, f.ID, web.LoginFormExpired) {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	if len(username) > web.MaxUsernameBytes {
		// No account has such a name: refuse it before any work, and do
		// not echo it back.
		p.log.Info("sign-in failed", "client", f.ClientID, "reason", "username too long")
		p.renderLogin(w, r, f, "", msgBadCredentials, http.StatusOK)
		return
	}
	m, err := p.findMember(ctx, username)
	if err != nil && !errors.Is(err, idp.ErrNotFound) {
		p.web.Internal(w, r, err)
		return
	}
	at, ok := p.admitLogin(w, r, f, web.AccountName(m, username), username)
	if !ok {
		return
	}
	err = p.checkPassword(ctx, m, r.PostFormValue("password"))
	if errors.Is(err, errBadCredentials) {
		// 200, not 401: a form cannot answer the WWW-Authenticate
		// challenge RFC 9110 §11.6.1 requires with 401.
		p.log.Info("sign-in failed", "client", f.ClientID)
		p.renderLogin(w, r, f, username, msgBadCredentials, http.StatusOK)
		return
	}
	if errors.Is(err, password.ErrBusy) {
		if err := p.throttle.Released(ctx, at); err != nil {
			p.log.Error("sign-in throttle", "err", err)
		}
		setRetryAfter(w, oauth.RetryAfter{Wait: oauth.KDFRetryAfter, Err: err})
		p.web.Fail(w, r, web.Busy, err)
		return
	}
	if err != nil {
		p.web.Internal(w, r, err)
		return
	}
	if err := p.throttle.Succeeded(ctx, at); err != nil {
		p.log.Error("sign-in throttle", "err", err)
	}
	s, err := p.web.SignIn(ctx, w, r, m.ID)
	if err != nil {
		p.web.Internal(w, r, err)
		return
	}
	f.MemberID, f.SessionID, f.AuthTime = m.ID, s.ID, s.AuthTime
	if err := p.store.Flows.Update(ctx, f); err != nil {
		p.web.Internal(w, r, err)
		return
	}
	p.log.Info("signed in", "member", m.ID, "client", f.ClientID)
	ar, params, err := p.resumeRequest(r, f)
	if err != nil {
		p.writeAuthorizeError(w, r, ar, err)
		return
	}
	p.proceed(w, r, ar, params, &f)
}

// admitLogin counts a sign-in attempt on account against the limits
// before its password is checked, and answers the attempt itself when it
// may not go ahead.
func (p *Provider) admitLogin(w http.ResponseWriter, r *http.Request, f idp.Flow, account, username string) (web.Attempt, bool) {
	at := p.throttle.NewAttempt(p.web.ClientAddr(r), account)
	ok, retry, err := p.throttle.Reserve(r.Context(), at)
	if err != nil {
		p.web.Internal(w, r, err)
		return at, false
	}
	if !ok {
		p.log.Warn("sign-in throttled", "client", f.ClientID)
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, retry.Sub(p.cfg.Now())).Seconds())))
		p.renderLogin(w, r, f, username, msgThrottled, http.StatusTooManyRequests)
	}
	return at, ok
}

var errBadCredentials = errors.New("bad credentials")

// findMember finds the member by email (when the name has an "@") or
// username. An empty name finds nobody.
func (p *Provider) findMember(ctx context.Context, name string) (idp.Member, error) {
	if name == "" {
		return idp.Member{}, idp.ErrNotFound
	}
	if strings.Contains(name, "@") {
		return p.store.Members.ByEmail(ctx, name)
	}
	return p.store.Members.ByUsername(ctx, name)
}

// checkPassword checks pw against m's password. A member not found (zero
// m) costs the same hash as a real one, so response time does not reveal
// accounts. Every derivation runs in the KDF limiter's slots; when none is
// free the error wraps password.ErrBusy and the password was not checked.
func (p *Provider) checkPassword(ctx context.Context, m idp.Member, pw string) error {
	if m.ID == "" || pw == "" {
		if err := p.kdf.VerifyDummy(ctx, pw); err != nil {
			return err
		}
		return errBadCredentials
	}
	ok, err := p.kdf.Verify(ctx, m.PasswordHash, pw)
	if err != nil {
		return err
	}
	if !ok {
		return errBadCredentials
	}
	return nil
}
