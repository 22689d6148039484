package console

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/provider/account"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage"
)

// listSessions shows one page of the sessions that have not expired,
// each with its member's email.
func (h *Handlers) listSessions(w http.ResponseWriter, r *http.Request, v account.Visit) {
	ctx := r.Context()
	rows, err := h.store.Sessions.Page(ctx, h.cfg.Now(), r.URL.Query().Get("after"), PageSize+1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := web.ConsoleSessionsPage{CSRFToken: v.CSRFToken, Notice: notice(r)}
	if len(rows) > PageSize {
		rows = rows[:PageSize]
		data.Next = template.URL(url.Values{"after": {rows[PageSize-1].ID}}.Encode())
	}
	emails := map[string]string{} // at most PageSize lookups
	for _, s := range rows {
		if _, ok := emails[s.MemberID]; !ok {
			m, err := h.store.Members.ByID(ctx, s.MemberID)
			if err != nil && !errors.Is(err, idp.ErrNotFound) {
				h.fail(w, r, err)
				return
			}
			emails[s.MemberID] = m.Email
		}
		data.Sessions = append(data.Sessions, web.ConsoleSession{Session: s, MemberEmail: emails[s.MemberID]})
	}
	h.web.Render(w, r, http.StatusOK, h.pages.Sessions, data)
}

// endSession ends one session as logout does (Config.EndSession: its
// refresh tokens revoked, its clients sent a back-channel logout),
// recorded as session.ended, as the admin API's DELETE /sessions/{sid}.
func (h *Handlers) endSession(w http.ResponseWriter, r *http.Request, v account.Visit) {
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		s, err := h.store.Sessions.ByID(ctx, r.PathValue("sid"))
		if err != nil {
			return err
		}
		if err := h.cfg.EndSession(ctx, s); err != nil {
			return err
		}
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditSessionEnded, MemberID: s.MemberID, SessionID: s.ID})
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	done(w, r, Path+"/sessions", "session")
}

// auditTypes are offered by the audit page's type filter; any other type
// may still be typed.
var auditTypes = []idp.AuditType{
	idp.AuditLoginSucceeded, idp.AuditLoginFailed, idp.AuditLoginThrottled, idp.AuditConsentGranted,
	idp.AuditConsentRevoked, idp.AuditTokenIssued, idp.AuditRefreshReuse, idp.AuditLogout, idp.AuditSessionEnded,
	idp.AuditKeyRotated, idp.AuditKeyRemoved, idp.AuditMemberCreated, idp.AuditMemberUpdated, idp.AuditMemberDeleted,
	idp.AuditClientCreated, idp.AuditClientUpdated, idp.AuditClientDeleted, idp.AuditClientSecretSet,
	idp.AuditClientRegistered,
}

// localTime is the format of the audit page's time inputs
// (datetime-local), read as UTC.
const localTime = "2006-01-02T15:04"

// listAudit pages through the audit trail, newest first, filtered by type,
// member, client and a time range, over storage.Audit.List as the admin
// API's GET /audit-events.
func (h *Handlers) listAudit(w http.ResponseWriter, r *http.Request, _ account.Visit) {
	v := r.URL.Query()
	data := web.ConsoleAuditPage{Type: strings.TrimSpace(v.Get("type")), Member: strings.TrimSpace(v.Get("member")),
		Client: strings.TrimSpace(v.Get("client")), Since: v.Get("since"), Until: v.Get("until")}
	for _, t := range auditTypes {
		data.Types = append(data.Types, string(t))
	}
	q := storage.AuditQuery{Type: idp.AuditType(data.Type), MemberID: data.Member, ClientID: data.Client,
		Cursor: v.Get("cursor"), Limit: PageSize}
	for _, f := range []struct {
		label, value string
		dst          *time.Time
	}{{"From", data.Since, &q.Since}, {"Until", data.Until, &q.Until}} {
		if f.value == "" {
			continue
		}
		t, err := parseLocal(f.value)
		if err != nil {
			data.Errors = append(data.Errors, h.web.T(r, msgNotADate, h.web.T(r, f.label)))
			continue
		}
		*f.dst = t
	}
	if data.Errors != nil {
		h.web.Render(w, r, http.StatusBadRequest, h.pages.Audit, data)
		return
	}
	rows, next, err := h.store.Audit.List(r.Context(), q)
	if errors.Is(err, idp.ErrInvalid) && q.Cursor != "" {
		data.Errors = []string{msgBadCursor}
		h.web.Render(w, r, http.StatusBadRequest, h.pages.Audit, data)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, e := range rows {
		var detail string
		if len(e.Detail) > 0 {
			raw, _ := json.Marshal(e.Detail)
			detail = string(raw)
		}
		data.Events = append(data.Events, web.ConsoleEvent{Event: e, Detail: detail})
	}
	if next != "" {
		nv := url.Values{"cursor": {next}}
		for k, val := range map[string]string{"type": data.Type, "member": data.Member, "client": data.Client,
			"since": data.Since, "until": data.Until} {
			if val != "" {
				nv.Set(k, val)
			}
		}
		data.Next = template.URL(nv.Encode())
	}
	h.web.Render(w, r, http.StatusOK, h.pages.Audit, data)
}

// parseLocal reads a datetime-local value (with or without seconds) as
// UTC, or an RFC 3339 time.
func parseLocal(s string) (time.Time, error) {
	for _, layout := range []string{localTime, localTime + ":05", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("bad time")
}

// DefaultActivateAfter is the console's default delay before a rotated
// key signs: keys.MinActivateAfter rounded up, as the admin API's.
const DefaultActivateAfter = 2 * time.Minute

func (h *Handlers) renderKeys(w http.ResponseWriter, r *http.Request, v account.Visit, status int, after string, errs []string) {
	rows, err := h.store.Keys.List(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	states := keys.States(rows, h.cfg.Now())
	data := web.ConsoleKeysPage{CSRFToken: v.CSRFToken, Notice: notice(r), Errors: errs, Algorithms: keys.Algorithms,
		ActivateAfter: after}
	for i, k := range rows {
		data.Keys = append(data.Keys, web.ConsoleKey{Key: k, State: string(states[i])})
	}
	h.web.Render(w, r, status, h.pages.Keys, data)
}

// listKeys shows every signing key: id, algorithm, state and dates; never
// the sealed private key.
func (h *Handlers) listKeys(w http.ResponseWriter, r *http.Request, v account.Visit) {
	h.renderKeys(w, r, v, http.StatusOK, DefaultActivateAfter.String(), nil)
}

// rotateKey adds a signing key of the chosen algorithm that signs after
// the chosen delay (keys.Rotate, which refuses one shorter than
// keys.MinActivateAfter), recorded as key.rotated, as the admin API's
// POST /keys/rotate.
func (h *Handlers) rotateKey(w http.ResponseWriter, r *http.Request, v account.Visit) {
	alg, raw := r.PostFormValue("alg"), strings.TrimSpace(r.PostFormValue("activate_after"))
	after, err := time.ParseDuration(raw)
	var errs []string
	if err != nil {
		errs = append(errs, msgBadActivateAfter)
	}
	if !keys.Supported(alg) {
		errs = append(errs, h.web.T(r, msgBadAlg, strings.Join(keys.Algorithms, ", ")))
	}
	if errs != nil {
		h.renderKeys(w, r, v, http.StatusUnprocessableEntity, raw, errs)
		return
	}
	err = h.store.InTx(r.Context(), func(ctx context.Context) error {
		k, err := keys.Rotate(ctx, h.store, h.cfg.Secret, alg, h.cfg.Now(), after)
		if err != nil {
			return err
		}
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditKeyRotated,
			Detail: map[string]any{"kid": k.ID, "alg": k.Algorithm, "active_at": k.ActiveAt}})
	})
	if errors.Is(err, keys.ErrActivateTooSoon) {
		h.renderKeys(w, r, v, http.StatusUnprocessableEntity, raw, []string{"activate_after: " + keys.ErrActivateTooSoon.Error()})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.cfg.KeysChanged(r.Context())
	done(w, r, Path+"/keys", "rotated")
}
