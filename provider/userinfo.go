package provider

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// handleUserinfo returns the member's claims for an access token (OpenID
// Connect Core §5.3), by GET or POST, read fresh from the store so a
// changed name shows at once. A DPoP-bound token is accepted only under
// the DPoP scheme with a proof of its key (RFC 9449 §7).
func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token, scheme, err := bearerToken(r)
	if err != nil {
		p.bearerError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if token == "" {
		p.bearerError(w, http.StatusUnauthorized, "", "")
		return
	}
	use, ar, err := p.oauth.IntrospectToken(ctx, token, fosite.AccessToken, oauth.NewSession())
	if p.writeUnavailable(ctx, w, pathUserinfo, err) {
		return
	}
	if err != nil || use != fosite.AccessToken {
		p.log.InfoContext(ctx, "userinfo refused", "err", describeOrNil(err))
		p.bearerError(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid, expired or revoked.")
		return
	}
	sess, _ := ar.GetSession().(*oauth.Session)
	if !p.checkBinding(w, r, token, scheme, sess.JKT) {
		return
	}
	if !ar.GetGrantedScopes().Has(idp.ScopeOpenID) {
		p.bearerError(w, http.StatusForbidden, "insufficient_scope", "The access token was not granted the openid scope.")
		return
	}
	m, err := p.store.Members.ByID(ctx, sess.GetSubject())
	if errors.Is(err, idp.ErrNotFound) {
		p.bearerError(w, http.StatusUnauthorized, "invalid_token", "The member no longer exists.")
		return
	}
	if p.writeUnavailable(ctx, w, pathUserinfo, err) {
		return
	}
	if err != nil {
		p.log.ErrorContext(ctx, "userinfo", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	c, _ := ar.GetClient().(oauth.Client)
	claims := oauth.MemberClaims(m, oauth.ReleasedScopes(ar.GetGrantedScopes(), c))
	claims["sub"] = m.ID
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, claims)
}

// bearerToken finds the access token where RFC 6750 §2 allows it: the
// Authorization header (Bearer, or DPoP per RFC 9449 §7.1) or the form
// body of a POST, and reports the scheme ("Bearer" for the body). The
// query string (§2.3) is refused, as it ends up in logs, browser history
// and Referer headers, and so is a request using more than one method
// (§3.1). The error text is safe to show the client.
func bearerToken(r *http.Request) (token, scheme string, err error) {
	if r.URL.Query().Has("access_token") {
		return "", "", errors.New("the access token must not be sent in the query string; use the Authorization header")
	}
	var found []string
	scheme = schemeBearer
	if s, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		switch {
		case strings.EqualFold(s, schemeBearer):
			found = append(found, tok)
		case strings.EqualFold(s, oauth.TokenTypeDPoP):
			found, scheme = append(found, tok), oauth.TokenTypeDPoP
		}
	}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return "", "", errors.New("the request body could not be parsed")
		}
		if r.PostForm.Has("access_token") {
			found = append(found, r.PostForm.Get("access_token"))
		}
	}
	switch len(found) {
	case 0:
		return "", scheme, nil
	case 1:
		return found[0], scheme, nil
	default:
		return "", "", errors.New("the access token was sent by more than one method")
	}
}

func describeOrNil(err error) string {
	if err == nil {
		return "not an access token"
	}
	return web.Describe(err)
}

// bearerError answers as RFC 6750 §3 asks: a WWW-Authenticate challenge,
// with no error code when the request carried no token at all.
func (p *Provider) bearerError(w http.ResponseWriter, status int, code, desc string) {
	v := fmt.Sprintf("Bearer realm=%q", p.cfg.Issuer)
	if code != "" {
		v += fmt.Sprintf(", error=%q, error_description=%q", code, desc)
	}
	if code == "insufficient_scope" {
		v += `, scope="openid"`
	}
	w.Header().Set("WWW-Authenticate", v)
	w.Header().Set("Cache-Control", "no-store")
	body := map[string]string{}
	if code != "" {
		body["error"], body["error_description"] = code, desc
	}
	writeJSON(w, status, body)
}
