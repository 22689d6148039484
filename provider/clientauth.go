package provider

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// errClientAuth is the one answer to every failed client authentication
// with a secret: an unknown id, a wrong secret, and a secret sent for a
// public client look the same, so the answer reveals neither which ids are
// registered nor how they authenticate. The detail goes to the log only.
var errClientAuth = fosite.ErrInvalidClient

// authenticateClient is fosite's client authentication strategy, used at
// the token and revocation endpoints, and by introspection directly. Every
// request that presents a secret costs one derivation in the KDF limiter's
// slots, whether the client exists or not; a request that finds no free
// slot, or that comes after too many wrong secrets for the same id, is
// answered temporarily_unavailable without deriving anything.
func (p *Provider) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		// private_key_jwt (RFC 7523 §2.2): one method per request, and
		// the assertion's aud may name this endpoint or the issuer.
		if _, _, basic := r.BasicAuth(); basic || form.Has("client_secret") {
			return nil, errClientAuth.WithHint("Use one client authentication method per request.")
		}
		c, err := p.oauth.AuthenticateAssertion(ctx, form, p.cfg.Issuer+r.URL.Path)
		if err != nil {
			p.log.Info("client assertion refused", "err", web.Describe(err))
			return nil, err
		}
		return c, nil
	}
	id, secret, method, err := clientCredentials(r, form)
	if err != nil {
		return nil, err
	}
	addr := p.web.ClientAddr(r)
	if wait := p.secrets.blocked(id, addr); wait > 0 {
		return nil, oauth.Unavailable(wait, errors.New("too many wrong client secrets"))
	}
	c, err := p.oauth.Client(ctx, id)
	known := err == nil
	if err != nil && !errors.Is(err, idp.ErrNotFound) {
		return nil, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	if secret == "" {
		// An empty secret matches no stored hash, so nothing is derived;
		// only a public client may authenticate without one.
		if known && c.Public() {
			return oauth.Client{Client: c}, nil
		}
		return nil, errClientAuth.WithDebug("no client secret")
	}
	if !known || c.Public() {
		if err := p.kdf.VerifyDummy(ctx, secret); err != nil {
			return nil, oauth.Unavailable(oauth.KDFRetryAfter, err)
		}
		p.secrets.failed(id, addr)
		return nil, errClientAuth.WithDebug("unknown or public client presented a secret")
	}
	switch err := p.verifier.VerifyContext(ctx, c.SecretHash, secret); {
	case errors.Is(err, password.ErrBusy):
		return nil, oauth.Unavailable(oauth.KDFRetryAfter, err)
	case errors.Is(err, clients.ErrSecretMismatch):
		p.secrets.failed(id, addr)
		return nil, errClientAuth.WithDebug("wrong client secret")
	case err != nil:
		return nil, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	p.secrets.succeeded(id, addr)
	if registered := c.TokenEndpointAuthMethod; registered != method {
		// Said only to a caller that proved it holds the secret.
		return nil, fosite.ErrInvalidClient.WithHintf("The client is registered for %s, not %s.", registered, method)
	}
	return oauth.Client{Client: c}, nil
}

// clientCredentials reads the client id and secret from HTTP Basic
// authentication or the form body, and names the method used. Using both
// is refused, as RFC 6749 §2.3 requires.
func clientCredentials(r *http.Request, form url.Values) (id, secret, method string, err error) {
	user, pass, basic := r.BasicAuth()
	if !basic {
		id, secret = form.Get("client_id"), form.Get("client_secret")
		if id == "" {
			return "", "", "", fosite.ErrInvalidRequest.WithHint("Client credentials are missing.")
		}
		if secret == "" {
			return id, "", idp.AuthMethodNone, nil
		}
		return id, secret, idp.AuthMethodPost, nil
	}
	if form.Has("client_secret") {
		return "", "", "", fosite.ErrInvalidRequest.WithHint("Send client credentials in one way only: HTTP Basic or the form body.")
	}
	// RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
	if id, err = url.QueryUnescape(user); err == nil {
		secret, err = url.QueryUnescape(pass)
	}
	if err != nil || id == "" {
		return "", "", "", fosite.ErrInvalidRequest.WithHint("The HTTP Basic client credentials are not form-encoded.")
	}
	if fid := form.Get("client_id"); fid != "" && fid != id {
		return "", "", "", fosite.ErrInvalidRequest.WithHint("The client_id does not match the HTTP Basic credentials.")
	}
	return id, secret, idp.AuthMethodBasic, nil
}

// setRetryAfter adds Retry-After when err carries a wait; it reports
// whether it did.
func setRetryAfter(w http.ResponseWriter, err error) bool {
	var ra oauth.RetryAfter
	if !errors.As(err, &ra) {
		return false
	}
	web.SetRetryAfter(w, ra.Wait)
	return true
}
