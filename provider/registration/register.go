package registration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
)

// errTokenRefused means the bearer token was unknown, expired, already
// used or replaced meanwhile: the answer is 401.
var errTokenRefused = errors.New("registration: token refused")

// register serves a client registration request (RFC 7591 §3.1). In token
// mode the initial access token is checked before the body is read, so a
// caller without one learns nothing about the rules, and consumed in the
// transaction that creates the client, so a token registers one client
// and a refused registration leaves it usable.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	ctx, now := r.Context(), h.d.Now()
	var initial string
	if h.d.Config.Mode == Token {
		token := bearer(r)
		if token == "" {
			unauthorized(w, r)
			return
		}
		initial = hashToken(token)
		if _, err := h.d.Store.Registrations.Token(ctx, initial, now); errors.Is(err, idp.ErrNotFound) {
			unauthorized(w, r)
			return
		} else if err != nil {
			h.fail(w, "registration: check initial access token", err)
			return
		}
	}
	if h.d.Config.Mode == Open && h.d.Admit != nil {
		wait, err := h.d.Admit(ctx, r)
		if err != nil {
			h.fail(w, "registration: count attempt", err)
			return
		}
		if wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
			writeError(w, http.StatusTooManyRequests, "too_many_requests", "too many registrations from this address; retry later")
			return
		}
	}
	req, err := decode(w, r)
	if err != nil {
		h.fail(w, "registration: read metadata", err)
		return
	}
	c, secret, accessToken, err := h.newClient(ctx, req.metadata, now)
	if err != nil {
		h.fail(w, "registration: prepare client", err)
		return
	}
	err = h.d.Store.InTx(ctx, func(ctx context.Context) error {
		if initial != "" {
			if err := h.d.Store.Registrations.UseToken(ctx, initial, now); errors.Is(err, idp.ErrNotFound) {
				return errTokenRefused
			} else if err != nil {
				return err
			}
		}
		if err := h.d.Store.Clients.Create(ctx, &c); err != nil {
			return err
		}
		reg := idp.ClientRegistration{ClientID: c.ID, AccessTokenHash: hashToken(accessToken)}
		if err := h.d.Store.Registrations.Create(ctx, &reg); err != nil {
			return err
		}
		return h.record(ctx, r, idp.AuditClientRegistered, c)
	})
	if errors.Is(err, errTokenRefused) {
		unauthorized(w, r)
		return
	}
	if err != nil {
		h.fail(w, "registration: store client", err)
		return
	}
	h.d.Log.InfoContext(ctx, "client registered", "client_id", c.ID, "mode", string(h.d.Config.Mode))
	h.respond(w, http.StatusCreated, c, secret, accessToken)
}

// newClient builds the client the metadata asks for, checks it against
// the rules, and makes its credentials: a client_id, a secret for a
// confidential client (hashed here, inside the KDF bound) and a
// registration access token.
func (h *Handler) newClient(ctx context.Context, m metadata, now time.Time) (c idp.Client, secret, accessToken string, err error) {
	id, err := newClientID()
	if err != nil {
		return c, "", "", err
	}
	c = m.client(id, m.confidential(), h.allowed)
	c.CreatedAt, c.UpdatedAt = now, now
	if err := check(c, h.allowed); err != nil {
		return c, "", "", err
	}
	if !c.Public() {
		if secret, err = clients.GenerateSecret(); err != nil {
			return c, "", "", err
		}
		if c.SecretHash, err = h.d.KDF.Hash(ctx, secret); err != nil {
			return c, "", "", fmt.Errorf("hash client secret: %w", err)
		}
	}
	accessToken, _, err = newToken()
	return c, secret, accessToken, err
}

// newClientID returns 128 random bits in hex: unguessable, so client ids
// reveal nothing about other registrations, and plain enough for any
// command line or URL.
func newClientID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate client_id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
