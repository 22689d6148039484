package admin

import (
	"errors"
	"net/http"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// eventJSON is an audit event as the API shows it.
type eventJSON struct {
	ID        string         `json:"id"`
	Time      time.Time      `json:"time"`
	Type      string         `json:"type"`
	Actor     string         `json:"actor"`
	MemberID  string         `json:"member_id,omitempty"`
	ClientID  string         `json:"client_id,omitempty"`
	SessionID string         `json:"session_id,omitempty"`
	Address   string         `json:"address,omitempty"`
	Detail    map[string]any `json:"detail,omitempty"`
}

// listAuditEvents pages through the audit trail, newest first, filtered
// by ?type=, ?member=, ?client= and the RFC 3339 instants ?since=
// (inclusive) and ?until= (exclusive).
func (a *API) listAuditEvents(w http.ResponseWriter, r *http.Request) error {
	_, limit, err := page(r)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	q := storage.AuditQuery{Type: idp.AuditType(v.Get("type")), MemberID: v.Get("member"), ClientID: v.Get("client"),
		Cursor: v.Get("cursor"), Limit: limit}
	for field, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := v.Get(field); s != "" {
			if *dst, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return fieldProblem(field, "not an RFC 3339 time such as 2026-01-02T15:04:05Z")
			}
		}
	}
	rows, next, err := a.cfg.Store.Audit.List(r.Context(), q)
	if errors.Is(err, idp.ErrInvalid) && q.Cursor != "" {
		return fieldProblem("cursor", "not a cursor this API returned")
	}
	if err != nil {
		return err
	}
	out := list[eventJSON]{Items: []eventJSON{}, NextCursor: next}
	for _, e := range rows {
		out.Items = append(out.Items, eventJSON{ID: e.ID, Time: e.Time, Type: string(e.Type), Actor: e.Actor,
			MemberID: e.MemberID, ClientID: e.ClientID, SessionID: e.SessionID, Address: e.Address, Detail: e.Detail})
	}
	return writeJSON(w, http.StatusOK, out)
}
