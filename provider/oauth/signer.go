package oauth

import (
	"context"
	"fmt"

	josev3 "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp/keys"
)

// Signer is fosite's jwt.Signer over the keyring: it signs with the active
// key and verifies with whichever published key the token's kid names, so
// id_token_hint and JWT introspection keep working across a rotation
// (fosite's DefaultSigner only knows one key). One signer serves every
// token the provider signs or verifies. It lives here rather than in
// package keys because its interface is fosite's.
type Signer struct {
	keys *keys.Ring
	// sign is fosite's signer, asking the keyring for the active key at
	// each signature, so a rotation takes effect without a rebuild.
	sign *jwt.DefaultSigner
}

var _ jwt.Signer = (*Signer)(nil)

func newSigner(ring *keys.Ring) *Signer {
	return &Signer{keys: ring, sign: &jwt.DefaultSigner{GetPrivateKey: func(context.Context) (interface{}, error) {
		k := ring.Active()
		return &josev3.JSONWebKey{Key: k.Private, KeyID: k.ID, Algorithm: string(josev3.RS256), Use: "sig"}, nil
	}}}
}

func (s *Signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	return s.sign.Generate(ctx, claims, header)
}

func (s *Signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// Decode verifies the token with the published key its header names.
// Tokens without a kid, or with an unknown one, are unverifiable.
func (s *Signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(t *jwt.Token) (interface{}, error) {
		if t.Method != josev3.RS256 {
			return nil, fmt.Errorf("unexpected signing algorithm %q", t.Method)
		}
		kid, _ := t.Header["kid"].(string)
		k, ok := s.keys.ByID(kid)
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return &k.Private.PublicKey, nil
	})
}

func (s *Signer) GetSignature(ctx context.Context, token string) (string, error) {
	return s.sign.GetSignature(ctx, token)
}

func (s *Signer) Hash(ctx context.Context, in []byte) ([]byte, error) {
	return s.sign.Hash(ctx, in)
}

func (s *Signer) GetSigningMethodLength(ctx context.Context) int {
	return jwt.SHA256HashSize
}

// Sign signs claims with the active key, adding header's fields to the
// JWT header: the sessions.SignFunc of the back-channel notifier.
func (s *Signer) Sign(ctx context.Context, claims, header map[string]any) (string, error) {
	token, _, err := s.sign.Generate(ctx, jwt.MapClaims(claims), &jwt.Headers{Extra: header})
	return token, err
}
