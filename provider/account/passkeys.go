package account

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/passkey"
	"github.com/idp/idp/provider/web"
)

// PathPasskeys is the member's passkeys: list, add, rename, remove.
const PathPasskeys = Path + "/passkeys"

// Messages of the passkeys page.
const (
	msgPasskeyRefused   = "The passkey could not be verified. Nothing was added. Try again."
	msgPasskeyExpired   = "The request to add a passkey expired. Try again."
	msgPasskeyDuplicate = "This passkey is already registered."
	msgPasskeyMissing   = "Your browser did not send a passkey. Adding a passkey needs JavaScript."
	msgPasskeyName      = "The name is too long: use at most 100 characters."
)

// HandlePasskeys lists the member's passkeys with the form to add one.
func (h *Handlers) HandlePasskeys(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	h.renderPasskeys(w, r, v, "", http.StatusOK)
}

func (h *Handlers) renderPasskeys(w http.ResponseWriter, r *http.Request, v Visit, msg string, status int) {
	ctx := r.Context()
	keys, err := h.store.Passkeys.ByMember(ctx, v.Member.ID)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	page := web.PasskeysPage{CSRFToken: v.CSRFToken, Error: msg, Available: h.cfg.Passkeys != nil}
	for _, k := range keys {
		row := web.PasskeyRow{ID: k.ID, Name: k.Name, Created: k.CreatedAt.Format(time.DateOnly), LastUsed: "never"}
		if !k.LastUsedAt.IsZero() {
			row.LastUsed = k.LastUsedAt.Format(time.DateOnly)
		}
		page.Passkeys = append(page.Passkeys, row)
	}
	if h.cfg.Passkeys != nil {
		b := passkey.Binding{Key: passkey.SessionKey(v.Session.ID), BrowserHash: web.HashToken(h.web.Binding(w, r)),
			AddrHash: web.HashToken(h.web.ClientAddr(r))}
		page.CreateOptions, err = h.cfg.Passkeys.BeginRegistration(ctx, v.Member, b)
		if errors.Is(err, idp.ErrLimit) {
			page.CreateOptions = ""
		} else if err != nil {
			h.web.Internal(w, r, err)
			return
		}
	}
	h.web.Render(w, r, status, h.web.Pages.Passkeys, page)
}

// HandlePasskeyAdd verifies the authenticator's answer to the session's
// registration challenge and stores the new passkey under the name given.
func (h *Handlers) HandlePasskeyAdd(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if h.cfg.Passkeys == nil {
		h.web.Fail(w, r, web.NotFound, errors.New("passkeys are off"))
		return
	}
	name, err := passkey.CleanName(r.PostFormValue("name"))
	if err != nil {
		h.renderPasskeys(w, r, v, msgPasskeyName, http.StatusBadRequest)
		return
	}
	response := r.PostFormValue("credential")
	if response == "" {
		h.renderPasskeys(w, r, v, msgPasskeyMissing, http.StatusBadRequest)
		return
	}
	_, err = h.cfg.Passkeys.FinishRegistration(ctx, v.Member, passkey.SessionKey(v.Session.ID), response, name,
		func(ctx context.Context, pk idp.Passkey) error {
			return h.record(ctx, h.passkeyEvent(r, v, idp.AuditPasskeyAdded, pk.Name))
		})
	var msg string
	switch {
	case err == nil:
		http.Redirect(w, r, PathPasskeys, http.StatusSeeOther)
		return
	case errors.Is(err, passkey.ErrNoChallenge):
		msg = msgPasskeyExpired
	case errors.Is(err, passkey.ErrDuplicate):
		msg = msgPasskeyDuplicate
	case errors.Is(err, passkey.ErrRefused):
		msg = msgPasskeyRefused
	default:
		h.web.Internal(w, r, err)
		return
	}
	h.cfg.Log.InfoContext(ctx, "passkey not added", "member", v.Member.ID, "err", err)
	h.renderPasskeys(w, r, v, msg, http.StatusBadRequest)
}

// HandlePasskeyRename renames one of the member's passkeys.
func (h *Handlers) HandlePasskeyRename(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	name, err := passkey.CleanName(r.PostFormValue("name"))
	if err != nil {
		h.renderPasskeys(w, r, v, msgPasskeyName, http.StatusBadRequest)
		return
	}
	id := r.PostFormValue("id")
	h.changePasskey(w, r, v, func(ctx context.Context) error {
		if err := h.store.Passkeys.Rename(ctx, v.Member.ID, id, name); err != nil {
			return err
		}
		return h.record(ctx, h.passkeyEvent(r, v, idp.AuditPasskeyRenamed, name))
	})
}

// HandlePasskeyRemove removes one of the member's passkeys.
func (h *Handlers) HandlePasskeyRemove(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	id := r.PostFormValue("id")
	h.changePasskey(w, r, v, func(ctx context.Context) error {
		pk, err := h.store.Passkeys.ByID(ctx, id)
		if err != nil {
			return err
		}
		if err := h.store.Passkeys.Remove(ctx, v.Member.ID, id); err != nil {
			return err
		}
		return h.record(ctx, h.passkeyEvent(r, v, idp.AuditPasskeyRemoved, pk.Name))
	})
}

// changePasskey runs change in one transaction and goes back to the list;
// a passkey that is not the member's is not found, like a missing one.
func (h *Handlers) changePasskey(w http.ResponseWriter, r *http.Request, v Visit, change func(context.Context) error) {
	err := h.store.InTx(r.Context(), change)
	if errors.Is(err, idp.ErrNotFound) {
		h.web.Fail(w, r, web.NotFound, err)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	http.Redirect(w, r, PathPasskeys, http.StatusSeeOther)
}

// passkeyEvent is an audit event of the visiting member's own change to a passkey.
func (h *Handlers) passkeyEvent(r *http.Request, v Visit, typ idp.AuditType, name string) idp.AuditEvent {
	e := h.event(r, v, typ, "")
	e.Detail = map[string]any{"passkey": name}
	return e
}

// record writes e when the handlers have a Recorder.
func (h *Handlers) record(ctx context.Context, e idp.AuditEvent) error {
	if h.cfg.Audit == nil {
		return nil
	}
	return h.cfg.Audit.Record(ctx, e)
}
