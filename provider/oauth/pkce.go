package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/pkce"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// pkceHandler binds a code to its PKCE challenge for the code's whole life
// (RFC 7636 §4.6, RFC 9700 §2.1.1). fosite's handler alone drops the PKCE
// record before it checks the verifier, so after one failed request an
// identical second one, without verifier, finds no record and succeeds.
// Two rules close that, each enough on its own:
//
//   - A client that must use PKCE gets no tokens without a code_verifier,
//     whatever is stored.
//   - A failed PKCE check burns the code: it is invalidated and anything
//     issued from it revoked, exactly as for a reused code. The legitimate
//     client then starts over; nobody holding the code without its
//     verifier can try again. (The alternative, keeping the code redeemable
//     but protected, would let an attacker guess verifiers for the code's
//     lifetime.)
//
// The PKCE record itself also outlives a failed check (see
// fositeStore.DeletePKCERequestSession), so the fosite handler finds the
// challenge on every attempt.
type pkceHandler struct {
	*pkce.Handler
	// required reports whether the client must send a code_verifier.
	required func(Client) bool
	burn     func(ctx context.Context, codeSignature, requestID string) error
}

var (
	_ fosite.TokenEndpointHandler     = (*pkceHandler)(nil)
	_ fosite.AuthorizeEndpointHandler = (*pkceHandler)(nil)
)

// HandleTokenEndpointRequest runs after the authorization code handler, so
// the code is known to be live and issued to the authenticated client.
func (h *pkceHandler) HandleTokenEndpointRequest(ctx context.Context, r fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	err := h.Handler.HandleTokenEndpointRequest(ctx, r)
	if err == nil && r.GetRequestForm().Get("code_verifier") == "" {
		if c, ok := r.GetClient().(Client); !ok || h.required(c) {
			err = fosite.ErrInvalidGrant.WithHint("This client must send the code_verifier of its PKCE code_challenge (RFC 7636).")
		}
	}
	if err == nil || fosite.ErrorToRFC6749Error(err).CodeField >= 500 {
		return err
	}
	sig := h.AuthorizeCodeStrategy.AuthorizeCodeSignature(ctx, r.GetRequestForm().Get("code"))
	if berr := h.burn(ctx, sig, r.GetID()); berr != nil {
		return fosite.ErrServerError.WithWrap(fmt.Errorf("burn code after failed PKCE check: %w", berr))
	}
	return err
}

// PKCERequired reports whether c must use PKCE: public clients always; a
// confidential client may skip it only when it, or the whole provider, is
// registered for plain OAuth.
func (e *Engine) PKCERequired(c Client) bool {
	return c.Public() || !(c.AllowPlainOAuth || e.cfg.AllowPlainOAuth)
}

// burnCode invalidates a code and revokes every token issued from its
// request, in one transaction. A code already spent (a concurrent
// redemption won) is no error: its tokens are revoked all the same.
func (s *fositeStore) burnCode(ctx context.Context, codeSignature, requestID string) error {
	return s.store.InTx(ctx, func(ctx context.Context) error {
		err := s.store.Tokens.Deactivate(ctx, storage.KindCode, codeSignature)
		if err != nil && !errors.Is(err, idp.ErrConflict) && !errors.Is(err, idp.ErrNotFound) {
			return fmt.Errorf("invalidate code: %w", err)
		}
		for _, kind := range []storage.TokenKind{storage.KindAccess, storage.KindRefresh} {
			if _, err := s.store.Tokens.DeleteByRequest(ctx, kind, requestID); err != nil {
				return fmt.Errorf("revoke %s tokens: %w", kind, err)
			}
		}
		return nil
	})
}
