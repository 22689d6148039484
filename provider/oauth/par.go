package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/idp/idp"
)

// PARPrefix starts every request_uri the PAR endpoint issues (RFC 9126
// §2.2); the authorization endpoint accepts no other request_uri.
const PARPrefix = "urn:ietf:params:oauth:request_uri:"

// IsPushedRequestURI reports whether uri is one the PAR endpoint issued
// (by its form; whether it is live is the store's answer).
func IsPushedRequestURI(uri string) bool { return strings.HasPrefix(uri, PARPrefix) }

var _ fosite.PARStorage = (*fositeStore)(nil)

// clientAuthParams are the client authentication parameters of a pushed
// request's body (RFC 6749 §2.3.1, RFC 7523 §2.2): they prove who pushed
// it and are never stored with it.
var clientAuthParams = []string{"client_secret", "client_assertion", "client_assertion_type"}

// pushedRequest is the stored form of a pushed authorization request:
// what fosite validated, to be rebuilt at the authorization endpoint
// without validating it again.
type pushedRequest struct {
	ID                string     `json:"id"`
	RequestedAt       time.Time  `json:"requested_at"`
	RequestedScope    []string   `json:"requested_scope"`
	RequestedAudience []string   `json:"requested_audience"`
	Form              url.Values `json:"form"`
	RedirectURI       string     `json:"redirect_uri"`
	ResponseTypes     []string   `json:"response_types"`
	State             string     `json:"state"`
	ResponseMode      string     `json:"response_mode"`
	DefaultMode       string     `json:"default_response_mode"`
}

// pushedHash names the row of a request_uri: the store never holds a
// usable reference.
func pushedHash(requestURI string) string {
	sum := sha256.Sum256([]byte(requestURI))
	return hex.EncodeToString(sum[:])
}

// CreatePARSession stores the pushed request for the PAR lifespan,
// counted on the provider's clock (fosite's expires_in uses the same
// lifespan). The form is kept whole, since PKCE and OpenID Connect read
// it at the authorization endpoint, except the client's credentials.
func (s *fositeStore) CreatePARSession(ctx context.Context, requestURI string, r fosite.AuthorizeRequester) error {
	form := url.Values{}
	for k, v := range r.GetRequestForm() {
		form[k] = v
	}
	for _, k := range clientAuthParams {
		form.Del(k)
	}
	pr := pushedRequest{
		ID: r.GetID(), RequestedAt: r.GetRequestedAt(),
		RequestedScope: r.GetRequestedScopes(), RequestedAudience: r.GetRequestedAudience(),
		Form: form, ResponseTypes: r.GetResponseTypes(), State: r.GetState(),
		ResponseMode: string(r.GetResponseMode()), DefaultMode: string(r.GetDefaultResponseMode()),
	}
	if u := r.GetRedirectURI(); u != nil {
		pr.RedirectURI = u.String()
	}
	raw, err := json.Marshal(pr)
	if err != nil {
		return fmt.Errorf("store pushed request: %w", err)
	}
	return s.store.Pushed.Create(ctx, idp.PushedRequest{
		Hash: pushedHash(requestURI), ClientID: r.GetClient().GetID(), Request: string(raw),
		ExpiresAt: s.now().Add(s.parLifespan),
	})
}

// GetPARSession rebuilds a live pushed request. fosite checks no expiry
// itself, so an expired request is not found here.
func (s *fositeStore) GetPARSession(ctx context.Context, requestURI string) (fosite.AuthorizeRequester, error) {
	row, err := s.store.Pushed.Get(ctx, pushedHash(requestURI), s.now())
	if errors.Is(err, idp.ErrNotFound) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var pr pushedRequest
	if err := json.Unmarshal([]byte(row.Request), &pr); err != nil {
		return nil, fmt.Errorf("load pushed request: %w", err)
	}
	c, err := s.GetClient(ctx, row.ClientID)
	if err != nil {
		return nil, fmt.Errorf("load pushed request: client: %w", err)
	}
	redirect, err := url.Parse(pr.RedirectURI)
	if err != nil {
		return nil, fmt.Errorf("load pushed request: redirect uri: %w", err)
	}
	ar := fosite.NewAuthorizeRequest()
	ar.ID, ar.RequestedAt, ar.Client = pr.ID, pr.RequestedAt, c
	ar.RequestedScope, ar.RequestedAudience = pr.RequestedScope, pr.RequestedAudience
	ar.Form, ar.Session = pr.Form, NewSession()
	ar.RedirectURI, ar.ResponseTypes, ar.State = redirect, pr.ResponseTypes, pr.State
	ar.ResponseMode, ar.DefaultResponseMode = fosite.ResponseModeType(pr.ResponseMode), fosite.ResponseModeType(pr.DefaultMode)
	return ar, nil
}

// DeletePARSession uses the pushed request: of concurrent uses exactly
// one succeeds (a conditional DELETE), so a request_uri is single-use.
func (s *fositeStore) DeletePARSession(ctx context.Context, requestURI string) error {
	err := s.store.Pushed.Use(ctx, pushedHash(requestURI), s.now())
	if errors.Is(err, idp.ErrNotFound) {
		return fosite.ErrNotFound
	}
	return err
}
