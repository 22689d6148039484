package oauth

import (
	"context"
	"fmt"

	josev3 "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp/keys"
)

// algHint is the header entry through which a session tells the signer
// which algorithm a token is to be signed with (the client's registered
// one). The signer removes it: it never reaches a token.
const algHint = "idp_alg"

// Signer is fosite's jwt.Signer over the keyring: it signs with the active
// key of the algorithm the session asks for (RS256 when it asks for none)
// and verifies with whichever published key the token's kid names, so
// id_token_hint and JWT introspection keep working across a rotation
// (fosite's DefaultSigner only knows one key). One signer serves every
// token the provider signs or verifies. It lives here rather than in
// package keys because its interface is fosite's.
type Signer struct {
	keys *keys.Ring
}

var _ jwt.Signer = (*Signer)(nil)

func newSigner(ring *keys.Ring) *Signer { return &Signer{keys: ring} }

// Generate signs claims under header with the active key of the
// algorithm header's algHint names (RS256 when absent). The key is looked
// up at each signature, so a rotation takes effect without a rebuild, and
// kid and alg come from the key, never from the stored session.
func (s *Signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	h := &jwt.Headers{Extra: header.ToMap()}
	alg := keys.RS256
	if hs, ok := header.(*jwt.Headers); ok {
		if a, ok := hs.Extra[algHint].(string); ok && a != "" {
			alg = a
		}
	}
	delete(h.Extra, algHint)
	k, ok := s.keys.ActiveFor(alg)
	if !ok {
		return "", "", fmt.Errorf("sign token: no %s signing key", alg)
	}
	signer := &jwt.DefaultSigner{GetPrivateKey: func(context.Context) (interface{}, error) {
		return &josev3.JSONWebKey{Key: k.Private, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}, nil
	}}
	return signer.Generate(ctx, claims, h)
}

func (s *Signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// Decode verifies the token with the published key its header names.
// Tokens without a kid, with an unknown one, or whose alg is not the
// named key's algorithm are unverifiable: the key decides the algorithm,
// so no header can make an RSA key verify an HMAC, say.
func (s *Signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(t *jwt.Token) (interface{}, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := s.keys.ByID(kid)
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		if string(t.Method) != k.Algorithm {
			return nil, fmt.Errorf("unexpected signing algorithm %q for a %s key", t.Method, k.Algorithm)
		}
		// A JSONWebKey, because fosite passes a pointer to the key to
		// go-jose, which takes no *ed25519.PublicKey.
		return &josev3.JSONWebKey{Key: k.Private.Public(), Algorithm: k.Algorithm}, nil
	})
}

func (s *Signer) GetSignature(ctx context.Context, token string) (string, error) {
	return (&jwt.DefaultSigner{}).GetSignature(ctx, token)
}

func (s *Signer) Hash(ctx context.Context, in []byte) ([]byte, error) {
	return (&jwt.DefaultSigner{}).Hash(ctx, in)
}

func (s *Signer) GetSigningMethodLength(ctx context.Context) int {
	return jwt.SHA256HashSize
}

// Sign signs claims with the active RS256 key, adding header's fields to
// the JWT header: the sessions.SignFunc of the back-channel notifier.
func (s *Signer) Sign(ctx context.Context, claims, header map[string]any) (string, error) {
	token, _, err := s.Generate(ctx, jwt.MapClaims(claims), &jwt.Headers{Extra: header})
	return token, err
}
