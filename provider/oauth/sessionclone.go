package oauth

import (
	"maps"
	"slices"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Clone returns a copy that shares no map, slice or pointer with s. fosite
// clones a stored session before it sets expiry times, audiences and claims
// for a new token, so any shared reference would let one token's issuance
// rewrite another's stored session. Every field is copied by name, without
// reflection: a field added to session or to fosite's types fails
// TestSessionCloneCoversEveryField until it is handled here.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	return &Session{
		DefaultSession:    cloneDefaultSession(s.DefaultSession),
		ClientID:          s.ClientID,
		SessionID:         s.SessionID,
		GrantedAt:         s.GrantedAt,
		ClientCredentials: s.ClientCredentials,
		IDTokenAlg:        s.IDTokenAlg,
		AccessTokenAlg:    s.AccessTokenAlg,
		JKT:               s.JKT,
	}
}

func cloneDefaultSession(d *openid.DefaultSession) *openid.DefaultSession {
	if d == nil {
		return nil
	}
	return &openid.DefaultSession{
		Claims:    cloneIDTokenClaims(d.Claims),
		Headers:   cloneHeaders(d.Headers),
		ExpiresAt: maps.Clone(d.ExpiresAt),
		Username:  d.Username,
		Subject:   d.Subject,
	}
}

func cloneIDTokenClaims(c *jwt.IDTokenClaims) *jwt.IDTokenClaims {
	if c == nil {
		return nil
	}
	return &jwt.IDTokenClaims{
		JTI:                                 c.JTI,
		Issuer:                              c.Issuer,
		Subject:                             c.Subject,
		Audience:                            slices.Clone(c.Audience),
		Nonce:                               c.Nonce,
		ExpiresAt:                           c.ExpiresAt,
		IssuedAt:                            c.IssuedAt,
		RequestedAt:                         c.RequestedAt,
		AuthTime:                            c.AuthTime,
		AccessTokenHash:                     c.AccessTokenHash,
		AuthenticationContextClassReference: c.AuthenticationContextClassReference,
		AuthenticationMethodsReferences:     slices.Clone(c.AuthenticationMethodsReferences),
		CodeHash:                            c.CodeHash,
		Extra:                               cloneJSONObject(c.Extra),
	}
}

func cloneHeaders(h *jwt.Headers) *jwt.Headers {
	if h == nil {
		return nil
	}
	return &jwt.Headers{Extra: cloneJSONObject(h.Extra)}
}

// cloneJSONObject copies a claims or header map down to its leaves. The
// values are what encoding/json decodes (maps, slices, strings, numbers,
// booleans, nil) plus the scalars and string slices this provider puts in
// itself; those leaves are immutable, so copying the containers suffices.
func cloneJSONObject(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneJSONValue(v)
	}
	return out
}

func cloneJSONValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneJSONObject(v)
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSONValue(e)
		}
		return out
	case []string:
		return slices.Clone(v)
	default:
		return v
	}
}
