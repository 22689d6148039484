package authflow

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// msgBadCredentials is the one message for a wrong password and an
// unknown account, so the page tells nobody which accounts exist.
const msgBadCredentials = "The username or password is incorrect."

// accountName stands for the client on the login page of a local flow.
const accountName = "your account"

// msgThrottled answers too many failed attempts; it says nothing about
// whether the account exists either.
const msgThrottled = "Too many failed attempts. Wait a few minutes and try again."

// HandleLoginPage shows the sign-in form for a flow.
func (h *Handlers) HandleLoginPage(w http.ResponseWriter, r *http.Request) {
	f, ok := h.loadFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	params, _ := url.ParseQuery(f.Params)
	h.renderLogin(w, r, f, params.Get("login_hint"), "", http.StatusOK)
}

func (h *Handlers) renderLogin(w http.ResponseWriter, r *http.Request, f idp.Flow, username, msg string, status int) {
	name := accountName
	if !f.LocalFlow() {
		name = h.oauth.ClientName(r.Context(), f.ClientID)
	}
	options, err := h.PasskeyOptions(r, f)
	if errors.Is(err, idp.ErrLimit) {
		// Too many ceremonies from this address: the password form
		// still works.
		h.log.WarnContext(r.Context(), "passkey challenges over the address bound", "flow", f.ID)
	} else if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.web.Render(w, r, status, h.web.Pages.Login, web.LoginPage{
		ClientName: name, FlowID: f.ID,
		CSRFToken: h.web.FormToken(r, f.ID),
		Username:  username, Error: msg, ForgotURL: h.forgotURL(f), PasskeyOptions: options,
	})
}

// HandleLogin checks the password, starts or renews the session, and
// resumes the authorization request.
func (h *Handlers) HandleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, ok := h.loadFlow(w, r, r.PostFormValue("flow"))
	if !ok {
		return
	}
	if !h.web.RequireCSRF(w, r, f.ID, web.LoginFormExpired) {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	if len(username) > web.MaxUsernameBytes {
		// No account has such a name: refuse it before any work, and do
		// not echo it back.
		h.failed(ctx, h.newSignIn(r, f, idp.Member{}, username), idp.AuditLoginFailed, reasonUsernameTooLong)
		h.renderLogin(w, r, f, "", msgBadCredentials, http.StatusOK)
		return
	}
	m, err := h.findMember(ctx, username)
	if err != nil && !errors.Is(err, idp.ErrNotFound) {
		h.web.Internal(w, r, err)
		return
	}
	attempt := h.newSignIn(r, f, m, username)
	at, ok := h.admitLogin(w, r, f, attempt, username)
	if !ok {
		return
	}
	err = h.checkPassword(ctx, m, r.PostFormValue("password"))
	reason := reasonBadCredentials
	if err == nil && members.CanSignIn(m) != nil {
		// The page says what it says for a wrong password; only the
		// trail and the log tell the operator why.
		err, reason = errBadCredentials, reasonDisabled
	}
	if errors.Is(err, errBadCredentials) {
		// 200, not 401: a form cannot answer the WWW-Authenticate
		// challenge RFC 9110 §11.6.1 requires with 401.
		h.failed(ctx, attempt, idp.AuditLoginFailed, reason)
		h.renderLogin(w, r, f, username, msgBadCredentials, http.StatusOK)
		return
	}
	if errors.Is(err, password.ErrBusy) {
		if err := h.throttle.Released(ctx, at); err != nil {
			h.log.ErrorContext(ctx, "sign-in throttle", "err", err)
		}
		web.SetRetryAfter(w, oauth.KDFRetryAfter)
		h.web.Fail(w, r, web.Busy, err)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if err := h.throttle.Succeeded(ctx, at); err != nil {
		h.log.ErrorContext(ctx, "sign-in throttle", "err", err)
	}
	h.factorPassed(w, r, f, attempt, idp.AMRPassword)
}

// admitLogin counts a sign-in attempt on account against the limits
// before its password is checked, and answers the attempt itself when it
// may not go ahead.
func (h *Handlers) admitLogin(w http.ResponseWriter, r *http.Request, f idp.Flow, s signIn, username string) (web.Attempt, bool) {
	m := idp.Member{ID: s.memberID}
	at := h.throttle.NewAttempt(s.address, web.AccountName(m, username))
	ok, retry, err := h.throttle.Reserve(r.Context(), at)
	if err != nil {
		h.web.Internal(w, r, err)
		return at, false
	}
	if !ok {
		h.failed(r.Context(), s, idp.AuditLoginThrottled, "")
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, retry.Sub(h.cfg.Now())).Seconds())))
		h.renderLogin(w, r, f, username, msgThrottled, http.StatusTooManyRequests)
	}
	return at, ok
}

var errBadCredentials = errors.New("bad credentials")

// findMember finds the member by email (when the name has an "@") or
// username. An empty name finds nobody.
func (h *Handlers) findMember(ctx context.Context, name string) (idp.Member, error) {
	if name == "" {
		return idp.Member{}, idp.ErrNotFound
	}
	if strings.Contains(name, "@") {
		return h.store.Members.ByEmail(ctx, name)
	}
	return h.store.Members.ByUsername(ctx, name)
}

// checkPassword checks pw against m's password. A member not found (zero
// m) costs the same hash as a real one, so response time does not reveal
// accounts. Every derivation runs in the KDF limiter's slots; when none is
// free the error wraps password.ErrBusy and the password was not checked.
func (h *Handlers) checkPassword(ctx context.Context, m idp.Member, pw string) error {
	// A member without a password (invited, not yet accepted) signs in
	// with none: they set one through their mailed link.
	if m.ID == "" || pw == "" || m.PasswordHash == "" {
		if err := h.kdf.VerifyDummy(ctx, pw); err != nil {
			return err
		}
		return errBadCredentials
	}
	ok, err := h.kdf.Verify(ctx, m.PasswordHash, pw)
	if err != nil {
		return err
	}
	if !ok {
		return errBadCredentials
	}
	return nil
}
