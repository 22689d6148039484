package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp"
)

// The token endpoint's answers while a device grant is not ready (RFC 8628
// §3.5); fosite v0.49.0 has none of them.
var (
	errAuthorizationPending = &fosite.RFC6749Error{ErrorField: "authorization_pending", CodeField: 400,
		DescriptionField: "The member has not yet answered the request; poll again after the interval."}
	errSlowDown = &fosite.RFC6749Error{ErrorField: "slow_down", CodeField: 400,
		DescriptionField: "Polling too fast; the interval has grown by 5 seconds."}
	// errAccessDenied is RFC 6749 §5.2's 400, not fosite's 403 of the
	// authorization endpoint.
	errAccessDenied = &fosite.RFC6749Error{ErrorField: "access_denied", CodeField: 400,
		DescriptionField: "The member denied the request."}
	errExpiredToken = &fosite.RFC6749Error{ErrorField: "expired_token", CodeField: 400,
		DescriptionField: "The device code has expired; start a new device authorization."}
)

// deviceHandler is the token endpoint's device_code grant (RFC 8628 §3.4):
// fosite v0.49.0 has none, so it is ours, a fosite.TokenEndpointHandler
// composed beside the stock ones. HandleTokenEndpointRequest answers the
// polls and fills the session of an approved grant; the grant is spent,
// and tokens issued, in PopulateTokenEndpointResponse, which the token
// endpoint runs in one transaction.
type deviceHandler struct {
	e       *Engine
	access  *oauth2.HandleHelper
	refresh oauth2.RefreshTokenStrategy
	idToken *openid.IDTokenHandleHelper
	fc      *fosite.Config
}

var _ fosite.TokenEndpointHandler = (*deviceHandler)(nil)

func (h *deviceHandler) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

func (h *deviceHandler) CanHandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) bool {
	return r.GetGrantTypes().ExactOne(idp.GrantDeviceCode)
}

// HandleTokenEndpointRequest checks the device code against its grant and
// the client, and answers a pending grant with authorization_pending or,
// when polled before the interval has passed, slow_down.
func (h *deviceHandler) HandleTokenEndpointRequest(ctx context.Context, r fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	c, ok := r.GetClient().(Client)
	if !ok || !c.GetGrantTypes().Has(idp.GrantDeviceCode) {
		return fosite.ErrUnauthorizedClient.WithHint("The client is not registered for the device_code grant.")
	}
	code := r.GetRequestForm().Get("device_code")
	if code == "" {
		return fosite.ErrInvalidRequest.WithHint("The device_code parameter is missing.")
	}
	g, err := h.e.cfg.Store.DeviceGrants.ByDeviceCodeHash(ctx, hashDeviceCode(code))
	// Another client's device code is as unknown as a made-up one.
	if errors.Is(err, idp.ErrNotFound) || (err == nil && g.ClientID != c.ID) {
		return fosite.ErrInvalidGrant.WithHint("The device code is unknown.")
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(describe(err))
	}
	now := h.e.cfg.Now().UTC()
	if !now.Before(g.ExpiresAt) {
		return errExpiredToken
	}
	switch g.Status {
	case idp.DeviceDenied:
		return errAccessDenied
	case idp.DeviceUsed:
		return fosite.ErrInvalidGrant.WithHint("The device code was already redeemed.")
	case idp.DevicePending:
		return h.poll(ctx, g, now)
	case idp.DeviceApproved:
		return h.grant(ctx, r, c, g, now)
	}
	return fosite.ErrServerError.WithHintf("Unknown device grant state %q.", g.Status)
}

// poll records a poll of a pending grant: too early, and the interval
// grows by SlowDownStep. Of concurrent polls only one is on time.
func (h *deviceHandler) poll(ctx context.Context, g idp.DeviceGrant, now time.Time) error {
	// A grant not yet polled has LastPolled == CreatedAt: the first poll
	// is never early.
	early := g.LastPolled.After(g.CreatedAt) && now.Sub(g.LastPolled) < g.Interval
	interval := g.Interval
	if early {
		interval += SlowDownStep
	}
	err := h.e.cfg.Store.DeviceGrants.Polled(ctx, g.ID, g.LastPolled, now, interval)
	if errors.Is(err, idp.ErrNotFound) { // a concurrent poll came first
		return errSlowDown
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(describe(err))
	}
	if early {
		return errSlowDown
	}
	return errAuthorizationPending
}

// grant fills the session of an approved grant: the member, the scopes
// and audience they allowed, and when tokens expire.
func (h *deviceHandler) grant(ctx context.Context, r fosite.AccessRequester, c Client, g idp.DeviceGrant, now time.Time) error {
	m, err := h.e.cfg.Store.Members.ByID(ctx, g.MemberID)
	if errors.Is(err, idp.ErrNotFound) {
		return errAccessDenied.WithHint("The member who allowed the request no longer exists.")
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(describe(err))
	}
	for _, s := range g.Scopes {
		r.GrantScope(s)
	}
	for _, a := range Audience(g.Audience, c) {
		r.GrantAudience(a)
	}
	sess, ok := r.GetSession().(*Session)
	if !ok {
		return fosite.ErrServerError.WithHint("Unexpected session type.")
	}
	claims := MemberClaims(m, ReleasedScopes(r.GetGrantedScopes(), c))
	claims["sid"] = g.SessionID
	sess.Subject, sess.Username, sess.ClientID, sess.SessionID, sess.GrantedAt = m.ID, m.Username, c.ID, g.SessionID, g.AnsweredAt
	sess.Claims = &jwt.IDTokenClaims{
		Issuer: h.e.cfg.Issuer, Subject: m.ID, Extra: claims,
		AuthTime: g.AuthTime.Truncate(time.Second), RequestedAt: g.CreatedAt.Truncate(time.Second),
	}
	for typ, def := range map[fosite.TokenType]time.Duration{
		fosite.AccessToken: h.fc.GetAccessTokenLifespan(ctx), fosite.RefreshToken: h.fc.GetRefreshTokenLifespan(ctx),
	} {
		sess.SetExpiresAt(typ, now.Add(fosite.GetEffectiveLifespan(c, fosite.GrantType(idp.GrantDeviceCode), typ, def)))
	}
	return nil
}

// PopulateTokenEndpointResponse spends the approved grant (exactly once,
// under races) and issues the access token, a refresh token with
// offline_access for a client of the refresh_token grant, and an ID token
// with openid.
func (h *deviceHandler) PopulateTokenEndpointResponse(ctx context.Context, r fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !h.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	hash := hashDeviceCode(r.GetRequestForm().Get("device_code"))
	err := h.e.cfg.Store.DeviceGrants.Redeem(ctx, hash, r.GetClient().GetID())
	if errors.Is(err, idp.ErrNotFound) {
		return fosite.ErrInvalidGrant.WithHint("The device code was already redeemed.")
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(describe(err))
	}
	accessSig, err := h.access.IssueAccessToken(ctx, h.fc.GetAccessTokenLifespan(ctx), r, resp)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(describe(err))
	}
	if r.GetGrantedScopes().Has(idp.ScopeOfflineAccess) && r.GetClient().GetGrantTypes().Has(idp.GrantRefreshToken) {
		token, sig, err := h.refresh.GenerateRefreshToken(ctx, r)
		if err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebug(describe(err))
		}
		if err := h.e.store.CreateRefreshTokenSession(ctx, sig, accessSig, r.Sanitize(nil)); err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebug(describe(err))
		}
		resp.SetExtra("refresh_token", token)
	}
	if r.GetGrantedScopes().Has(idp.ScopeOpenID) {
		if err := h.idToken.IssueExplicitIDToken(ctx, h.fc.GetIDTokenLifespan(ctx), r, resp); err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebug(describe(err))
		}
	}
	return nil
}

// deviceFactory composes the device_code grant's handler over the same
// store and token strategies as fosite's own grants.
func (e *Engine) deviceFactory(s *compose.CommonStrategy) compose.Factory {
	return func(c fosite.Configurator, _, _ interface{}) interface{} {
		fc := c.(*fosite.Config)
		return &deviceHandler{
			e: e, fc: fc, refresh: s.CoreStrategy,
			access:  &oauth2.HandleHelper{AccessTokenStrategy: s.CoreStrategy, AccessTokenStorage: e.store, Config: fc},
			idToken: &openid.IDTokenHandleHelper{IDTokenStrategy: s.OpenIDConnectTokenStrategy},
		}
	}
}

// describe is an error's loggable detail: fosite's debug field too, which
// its Error() leaves out.
func describe(err error) string {
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) && rfc.DebugField != "" {
		return rfc.ErrorField + ": " + rfc.GetDescription() + " (" + rfc.DebugField + ")"
	}
	return err.Error()
}
