package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/idp/idp"
)

// Principal is who a verified access token speaks for: a client (client
// credentials) or a member, with the token's granted scopes.
type Principal struct {
	ClientID string
	// MemberID is empty for a client-credentials token.
	MemberID string
	Scopes   []string
	// Role is the member's current role; empty for a client.
	Role idp.Role
}

// Verifier checks a bearer access token. It returns an error wrapping
// ErrInvalidToken for a token that is not an active access token of the
// provider (unknown, expired, revoked, of a removed client or a disabled
// member); any other error means it could not tell.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// ErrInvalidToken means the token is not an active access token.
var ErrInvalidToken = errors.New("invalid access token")

// realm names the protection space in challenges (RFC 6750 §3).
const realm = `Bearer realm="idp-admin"`

var (
	// errNoToken carries no error attribute: RFC 6750 §3.1 reserves them
	// for requests that tried to authenticate.
	errNoToken  = challenged(newProblem(kindUnauthorized, "Send an access token with the scope idp:admin in Authorization: Bearer."), realm)
	errBadToken = challenged(newProblem(kindUnauthorized, "The access token is not active."),
		realm+`, error="invalid_token", error_description="The access token is not active"`)
	errScope = challenged(newProblem(kindForbidden, "The token lacks the scope idp:admin."),
		realm+`, error="insufficient_scope", scope="`+idp.ScopeAdmin+`"`)
	errNotAdmin = challenged(newProblem(kindForbidden, "The token's client is not registered with the scope idp:admin, or its member is not an admin."),
		realm+`, error="insufficient_scope", scope="`+idp.ScopeAdmin+`"`)
)

func challenged(p *Problem, c string) *Problem { p.challenge = c; return p }

type principalKey struct{}

// authorized admits a request whose bearer token has the scope idp:admin
// and comes either from a client registered with that scope (client
// credentials) or from a member whose role is admin. A scope alone is not
// enough: a client registered for it by mistake still needs the grant of
// an operator, and a member's token still needs the member's role now.
func (a *API) authorized(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token, ok := bearer(r)
		if !ok {
			return errNoToken
		}
		p, err := a.cfg.Verifier.Verify(r.Context(), token)
		if errors.Is(err, ErrInvalidToken) {
			return errBadToken
		}
		if err != nil {
			return err
		}
		if err := a.allow(r.Context(), p); err != nil {
			return err
		}
		return next(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

func (a *API) allow(ctx context.Context, p Principal) error {
	if !slices.Contains(p.Scopes, idp.ScopeAdmin) {
		return errScope
	}
	if p.MemberID != "" {
		if p.Role != idp.RoleAdmin {
			return errNotAdmin
		}
		return nil
	}
	c, err := a.cfg.Store.Clients.ByID(ctx, p.ClientID)
	if errors.Is(err, idp.ErrNotFound) {
		return errBadToken
	}
	if err != nil {
		return err
	}
	if !slices.Contains(c.Scopes, idp.ScopeAdmin) {
		return errNotAdmin
	}
	return nil
}

// bearer returns the token of an Authorization: Bearer header (RFC 6750
// §2.1; the scheme is case-insensitive, RFC 9110 §11.1).
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// actor names the principal of the request for the audit trail.
func actor(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(Principal)
	if p.MemberID != "" {
		return idp.ActorMember(p.MemberID)
	}
	return idp.ActorClient(p.ClientID)
}
