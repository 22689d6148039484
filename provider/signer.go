package provider

import (
	"context"
	"fmt"

	josev3 "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"
)

// signer is fosite's jwt.Signer over the keyring: it signs with the active
// key and verifies with whichever published key the token's kid names, so
// id_token_hint and JWT introspection keep working across a rotation
// (fosite's DefaultSigner only knows one key).
type signer struct {
	keys *keyring
}

var _ jwt.Signer = (*signer)(nil)

func (s *signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	sk := s.keys.active()
	jwk := &josev3.JSONWebKey{Key: sk.private, KeyID: sk.id, Algorithm: string(josev3.RS256), Use: "sig"}
	d := &jwt.DefaultSigner{GetPrivateKey: func(context.Context) (interface{}, error) { return jwk, nil }}
	return d.Generate(ctx, claims, header)
}

func (s *signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// Decode verifies the token with the published key its header names.
// Tokens without a kid, or with an unknown one, are unverifiable.
func (s *signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(t *jwt.Token) (interface{}, error) {
		if t.Method != josev3.RS256 {
			return nil, fmt.Errorf("unexpected signing algorithm %q", t.Method)
		}
		kid, _ := t.Header["kid"].(string)
		sk, ok := s.keys.byID(kid)
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return &sk.private.PublicKey, nil
	})
}

func (s *signer) GetSignature(ctx context.Context, token string) (string, error) {
	return (&jwt.DefaultSigner{}).GetSignature(ctx, token)
}

func (s *signer) Hash(ctx context.Context, in []byte) ([]byte, error) {
	return (&jwt.DefaultSigner{}).Hash(ctx, in)
}

func (s *signer) GetSigningMethodLength(ctx context.Context) int {
	return jwt.SHA256HashSize
}
