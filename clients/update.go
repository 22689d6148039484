package clients

import (
	"context"
	"fmt"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// Update replaces the registration of the client c.ID with c, keeping its
// secret (RotateSecret changes that) and so whether it is public. The
// response types follow the grant types again (see Normalize), since
// "code" is the only one served. Every broken rule is reported at once, as
// Validate does, and nothing is written; a client that does not exist is
// an error wrapping idp.ErrNotFound. It runs in one transaction, joining
// the one ctx carries.
func Update(ctx context.Context, store *storage.Store, c idp.Client) error {
	return store.InTx(ctx, func(ctx context.Context) error {
		old, err := store.Clients.ByID(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("update client: %w", err)
		}
		c.SecretHash, c.ResponseTypes = old.SecretHash, nil
		Normalize(&c)
		if err := Validate(c); err != nil {
			return err
		}
		if err := store.Clients.Update(ctx, c); err != nil {
			return fmt.Errorf("update client: %w", err)
		}
		return nil
	})
}

// RotateSecret gives the confidential client id a new generated secret and
// returns it; only its hash is stored, so the caller shows it once. The old
// secret stops working at once. A public client has no secret to rotate:
// that is an error wrapping idp.ErrInvalid.
func RotateSecret(ctx context.Context, store *storage.Store, id string) (string, error) {
	secret, err := GenerateSecret()
	if err != nil {
		return "", err
	}
	hash, err := HashSecret(secret)
	if err != nil {
		return "", err
	}
	err = store.InTx(ctx, func(ctx context.Context) error {
		c, err := store.Clients.ByID(ctx, id)
		if err != nil {
			return err
		}
		if c.TokenEndpointAuthMethod == idp.AuthMethodPrivateKeyJWT {
			return &FieldError{Field: "secret", Msg: fmt.Sprintf("client %s authenticates with private_key_jwt: it has no secret", id)}
		}
		if c.Public() {
			return &FieldError{Field: "secret", Msg: fmt.Sprintf("client %s is public: it has no secret to rotate", id)}
		}
		c.SecretHash = hash
		return store.Clients.Update(ctx, c)
	})
	if err != nil {
		return "", fmt.Errorf("rotate client secret: %w", err)
	}
	return secret, nil
}

// Remove deletes client id. Its tokens, consents, flows and session
// records go with it in the same statement (foreign keys cascade), so
// every token it was issued stops being accepted at once: access tokens
// are checked against the store. Errors wrap idp.ErrNotFound.
func Remove(ctx context.Context, store *storage.Store, id string) error {
	if err := store.Clients.Delete(ctx, id); err != nil {
		return fmt.Errorf("remove client: %w", err)
	}
	return nil
}
