package registration

import (
	"context"
	"errors"
	"net/http"

	"github.com/idp/idp"
)

// authenticate checks the registration access token of the client id
// names (RFC 7592 §2): the client must have been registered through this
// endpoint, and the token's hash must equal the stored one, compared in
// constant time. It answers 401 itself and returns false otherwise: for a
// client registered by the operator, an unknown client and a wrong token
// alike, so another client's token opens nothing (RFC 7592 §2.1).
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, id string) (idp.ClientRegistration, bool) {
	token := bearer(r)
	if token == "" {
		unauthorized(w, r)
		return idp.ClientRegistration{}, false
	}
	reg, err := h.d.Store.Registrations.ByClient(r.Context(), id)
	switch {
	case errors.Is(err, idp.ErrNotFound):
		unauthorized(w, r)
		return reg, false
	case err != nil:
		h.fail(w, "registration: find registration", err)
		return reg, false
	case !sameHash(hashToken(token), reg.AccessTokenHash):
		unauthorized(w, r)
		return reg, false
	}
	return reg, true
}

// rotate replaces the registration access token reg was checked against
// with a new one and returns it. Only hashes are stored, so every client
// information response, which must carry the token (RFC 7592 §3), carries
// a new one; the one presented stops working. Of two requests presenting
// the same token, one gets errTokenRefused.
func (h *Handler) rotate(ctx context.Context, reg idp.ClientRegistration) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	err = h.d.Store.Registrations.ReplaceAccessToken(ctx, reg.ClientID, reg.AccessTokenHash, hash)
	if errors.Is(err, idp.ErrNotFound) {
		return "", errTokenRefused
	}
	return token, err
}

// read serves a client read request (RFC 7592 §2.1).
func (h *Handler) read(w http.ResponseWriter, r *http.Request, id string) {
	reg, ok := h.authenticate(w, r, id)
	if !ok {
		return
	}
	var c idp.Client
	var token string
	err := h.d.Store.InTx(r.Context(), func(ctx context.Context) error {
		var err error
		if c, err = h.d.Store.Clients.ByID(ctx, id); err != nil {
			return err
		}
		token, err = h.rotate(ctx, reg)
		return err
	})
	if h.refused(w, r, "registration: read client", err) {
		return
	}
	h.respond(w, http.StatusOK, c, "", token)
}

// update serves a client update request (RFC 7592 §2.2): the metadata
// replaces the registration as a whole, through the same rules as a new
// one; fields left out take their defaults. The client keeps its id,
// secret and whether it has one: a public client cannot become
// confidential here, since the secret would have to be issued, nor the
// reverse.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, id string) {
	reg, ok := h.authenticate(w, r, id)
	if !ok {
		return
	}
	req, err := decode(w, r)
	if err != nil {
		h.fail(w, "registration: read metadata", err)
		return
	}
	if req.ClientID != id {
		h.fail(w, "registration: update", invalidMetadata("client_id: must be the client's own client_id (RFC 7592 §2.2)"))
		return
	}
	var c idp.Client
	var token string
	err = h.d.Store.InTx(r.Context(), func(ctx context.Context) error {
		old, err := h.d.Store.Clients.ByID(ctx, id)
		if err != nil {
			return err
		}
		if req.TokenEndpointAuthMethod != "" && req.confidential() == old.Public() {
			return invalidMetadata("token_endpoint_auth_method: %q: a client cannot change between public and confidential; register a new client",
				req.TokenEndpointAuthMethod)
		}
		c = req.client(id, !old.Public(), h.allowed)
		if err := check(c, h.allowed); err != nil {
			return err
		}
		c.SecretHash, c.CreatedAt = old.SecretHash, old.CreatedAt
		if token, err = h.rotate(ctx, reg); err != nil {
			return err
		}
		if err := h.d.Store.Clients.Update(ctx, c); err != nil {
			return err
		}
		return h.record(ctx, r, idp.AuditClientUpdated, c)
	})
	if h.refused(w, r, "registration: update client", err) {
		return
	}
	h.respond(w, http.StatusOK, c, "", token)
}

// remove serves a client delete request (RFC 7592 §2.3): the client goes,
// and with it, in the same statement, its tokens, consents and its
// registration access token.
func (h *Handler) remove(w http.ResponseWriter, r *http.Request, id string) {
	reg, ok := h.authenticate(w, r, id)
	if !ok {
		return
	}
	err := h.d.Store.InTx(r.Context(), func(ctx context.Context) error {
		// Confirm, under the row lock, that the token was not rotated
		// meanwhile.
		err := h.d.Store.Registrations.ReplaceAccessToken(ctx, id, reg.AccessTokenHash, reg.AccessTokenHash)
		if errors.Is(err, idp.ErrNotFound) {
			return errTokenRefused
		} else if err != nil {
			return err
		}
		c, err := h.d.Store.Clients.ByID(ctx, id)
		if err != nil {
			return err
		}
		if err := h.d.Store.Clients.Delete(ctx, id); err != nil {
			return err
		}
		return h.record(ctx, r, idp.AuditClientDeleted, c)
	})
	if h.refused(w, r, "registration: delete client", err) {
		return
	}
	h.d.Log.InfoContext(r.Context(), "client deleted its registration", "client_id", id)
	w.WriteHeader(http.StatusNoContent)
}

// refused answers a failed management transaction and reports whether
// it did: 401 for a token that lost a race, the rest through fail.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, op string, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, errTokenRefused), errors.Is(err, idp.ErrNotFound):
		unauthorized(w, r)
	default:
		h.fail(w, op, err)
	}
	return true
}
