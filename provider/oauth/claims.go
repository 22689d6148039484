package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/ory/fosite"

	"github.com/idp/idp"
)

// claimsRequest is the "claims" request parameter (OpenID Connect Core
// §5.5): which claims are asked for by name, for userinfo and for the ID
// token. It releases nothing by itself: it asks the member for the scopes
// that carry the named claims (see AddedScopes). Values (essential, value,
// values) only qualify a request, so they are not kept.
type claimsRequest struct {
	Userinfo []string
	IDToken  []string
}

// maxClaimsRequest bounds the parameter; real requests are a few hundred
// bytes.
const maxClaimsRequest = 4096

// parseClaimsRequest parses untrusted input: an empty string is no
// request; anything but a JSON object of objects is an error, and so is
// invalid UTF-8, which JSON (RFC 8259 §8.1) does not allow and which would
// otherwise come back silently changed to U+FFFD.
func parseClaimsRequest(s string) (claimsRequest, error) {
	if s == "" {
		return claimsRequest{}, nil
	}
	if len(s) > maxClaimsRequest {
		return claimsRequest{}, fmt.Errorf("claims parameter longer than %d bytes", maxClaimsRequest)
	}
	if !utf8.ValidString(s) {
		return claimsRequest{}, errors.New("claims parameter is not valid UTF-8")
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return claimsRequest{}, fmt.Errorf("claims parameter: %w", err)
	}
	names := func(m map[string]json.RawMessage) ([]string, error) {
		var out []string
		for name, v := range m {
			// Each member is null or an object (§5.5.1).
			var spec *map[string]json.RawMessage
			if err := json.Unmarshal(v, &spec); err != nil {
				return nil, fmt.Errorf("claims parameter: claim %q: want null or an object", name)
			}
			out = append(out, name)
		}
		sort.Strings(out)
		return out, nil
	}
	var req claimsRequest
	var err error
	if req.Userinfo, err = names(raw["userinfo"]); err != nil {
		return claimsRequest{}, err
	}
	if req.IDToken, err = names(raw["id_token"]); err != nil {
		return claimsRequest{}, err
	}
	return req, nil
}

// ReleasedScopes are the granted scopes the client is still registered
// for. A claim is released only when a released scope carries it: the
// member granted the scope and the client may ask for it. A released
// scope's claims go both into the ID token and to userinfo, however the
// scope came to be granted.
func ReleasedScopes(granted fosite.Arguments, c Client) fosite.Arguments {
	var out fosite.Arguments
	for _, s := range granted {
		if slices.Contains(c.Scopes, s) {
			out = append(out, s)
		}
	}
	return out
}

// MemberClaims are the claims the released scopes carry (OpenID Connect
// Core §5.4) that have a value: a claim the member left empty is absent,
// never "" (§5.3.2).
func MemberClaims(m idp.Member, scopes fosite.Arguments) map[string]interface{} {
	all := memberValues(m)
	out := map[string]interface{}{}
	for scope, names := range scopeClaims {
		if scopes.Has(scope) {
			for _, n := range names {
				if v, ok := all[n]; ok {
					out[n] = v
				}
			}
		}
	}
	return out
}

// memberValues are every claim of m that has a value.
func memberValues(m idp.Member) map[string]interface{} {
	p := m.Profile
	all := map[string]interface{}{
		"updated_at": m.UpdatedAt.Unix(),
		"email":      m.Email,
		// True once the member followed a verification link sent to the
		// address, or an administrator vouched for it.
		"email_verified": m.EmailVerified,
		"roles":          []string{string(m.Role)},
	}
	for n, v := range map[string]string{
		"name": m.Name, "preferred_username": m.Username,
		"given_name": p.GivenName, "family_name": p.FamilyName, "middle_name": p.MiddleName,
		"nickname": p.Nickname, "picture": p.Picture, "website": p.Website, "gender": p.Gender,
		"birthdate": p.Birthdate, "zoneinfo": p.Zoneinfo, "locale": p.Locale,
	} {
		if v != "" {
			all[n] = v
		}
	}
	if p.PhoneNumber != "" {
		// Verified or not is only said of a number there is.
		all["phone_number"], all["phone_number_verified"] = p.PhoneNumber, p.PhoneNumberVerified
	}
	if a := p.Address; a != nil {
		addr := map[string]interface{}{}
		for n, v := range map[string]string{
			"formatted": a.Formatted, "street_address": a.StreetAddress, "locality": a.Locality,
			"region": a.Region, "postal_code": a.PostalCode, "country": a.Country,
		} {
			if v != "" {
				addr[n] = v
			}
		}
		if len(addr) > 0 {
			all["address"] = addr // §5.1.1: a JSON object
		}
	}
	return all
}

// AddedScopes are the scopes a claims request adds to an OpenID request:
// those that carry a claim it names (in either place), that the client is
// registered for, and that the scope parameter does not already ask for.
// They are asked of the member like any requested scope, so consent and
// remembered consent cover them by the same rule. A claim no such scope
// carries is left unanswered, as §5.5 allows.
func AddedScopes(req claimsRequest, requested fosite.Arguments, registered []string) []string {
	if !requested.Has(idp.ScopeOpenID) {
		return nil // the claims parameter belongs to OpenID Connect
	}
	names := append(slices.Clone(req.IDToken), req.Userinfo...)
	var out []string
	for _, scope := range claimScopes {
		if requested.Has(scope) || !slices.Contains(registered, scope) {
			continue
		}
		if slices.ContainsFunc(scopeClaims[scope], func(n string) bool { return slices.Contains(names, n) }) {
			out = append(out, scope)
		}
	}
	return out
}

// RequestClaimScopes adds to an authorization request the scopes its
// claims parameter asks for (see AddedScopes). Every path that builds the
// request calls it, so the consent check, the consent page and the grant
// all see the same scopes. A malformed parameter is invalid_request.
func RequestClaimScopes(ar fosite.AuthorizeRequester, claims string) error {
	req, err := parseClaimsRequest(claims)
	if err != nil {
		return fosite.ErrInvalidRequest.WithHint("The claims parameter is not valid UTF-8 JSON of the form OpenID Connect Core §5.5 describes.").WithWrap(err)
	}
	for _, s := range AddedScopes(req, ar.GetRequestedScopes(), ar.GetClient().GetScopes()) {
		ar.AppendRequestedScope(s)
	}
	return nil
}

// claimScopes are the scopes that carry member claims, in the order the
// consent page lists them.
var claimScopes = []string{idp.ScopeProfile, idp.ScopeEmail, idp.ScopePhone, idp.ScopeAddress, idp.ScopeRoles}

// scopeClaims maps each scope to the claims it carries: the standard
// scopes as OpenID Connect Core §5.4 lists them (without "profile", the
// URL of a profile page, which the provider does not keep), and roles.
var scopeClaims = map[string][]string{
	idp.ScopeProfile: {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
	idp.ScopeEmail:   {"email", "email_verified"},
	idp.ScopePhone:   {"phone_number", "phone_number_verified"},
	idp.ScopeAddress: {"address"},
	idp.ScopeRoles:   {"roles"},
}

// idTokenClaims are the claims every ID token may carry whatever its
// scopes; the member claims follow from scopeClaims, so a claim added to a
// scope is advertised with it.
var idTokenClaims = []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "amr", "acr"}

// SupportedClaims is discovery's claims_supported: the ID token's own
// claims and every member claim a scope carries.
func SupportedClaims() []string {
	out := slices.Clone(idTokenClaims)
	for _, scope := range claimScopes {
		out = append(out, scopeClaims[scope]...)
	}
	return out
}
