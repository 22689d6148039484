package account

import (
	"context"
	"errors"
	"net/http"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage"
)

// Bounds of the activity page: it shows at most activityLimit events,
// reading at most activityPages pages of activityPage events of the
// member's trail to find them (tokens issued, which it leaves out, may
// outnumber everything else), so one request reads a bounded number of
// rows however busy the member's apps are.
const (
	activityLimit = 50
	activityPage  = 200
	activityPages = 3
)

// activityShown are the events the page shows; others (a token issued,
// a key rotated) are left out as routine or not the member's. The template words each
// event by its type, refined by the event's reason or actor (describe).
var activityShown = map[idp.AuditType]bool{
	idp.AuditLoginSucceeded: true, idp.AuditLoginFailed: true, idp.AuditLoginThrottled: true,
	idp.AuditLogout: true, idp.AuditSessionEnded: true, idp.AuditConsentGranted: true, idp.AuditConsentRevoked: true,
	idp.AuditRefreshReuse: true, idp.AuditPasswordChanged: true, idp.AuditPasswordChangeFailed: true,
	idp.AuditMemberUpdated: true, idp.AuditMemberCreated: true,
}

// activityWarnings are the events a member should look at twice.
var activityWarnings = map[idp.AuditType]bool{
	idp.AuditLoginFailed: true, idp.AuditLoginThrottled: true, idp.AuditRefreshReuse: true,
	idp.AuditPasswordChangeFailed: true,
}

// HandleActivity shows the member's recent security events, newest
// first.
func (h *Handlers) HandleActivity(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	events, err := h.activity(r.Context(), v.Member.ID)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.web.Render(w, r, http.StatusOK, h.web.Pages.AccountActivity, web.AccountActivityPage{Events: events, Limit: activityLimit})
}

// activity reads the member's trail, newest first, within the page's
// bounds, and words the events it shows.
func (h *Handlers) activity(ctx context.Context, memberID string) ([]web.AccountEvent, error) {
	var out []web.AccountEvent
	apps := map[string]string{}
	cursor := ""
	for range activityPages {
		list, next, err := h.store.Audit.List(ctx, storage.AuditQuery{MemberID: memberID, Cursor: cursor, Limit: activityPage})
		if err != nil {
			return nil, err
		}
		for _, e := range list {
			what, ok := h.describe(e)
			if !ok {
				continue
			}
			app, err := h.appName(ctx, apps, e.ClientID)
			if err != nil {
				return nil, err
			}
			out = append(out, web.AccountEvent{Time: e.Time.UTC(), What: what, App: app, Address: e.Address,
				Warning: activityWarnings[e.Type]})
			if len(out) == activityLimit {
				return out, nil
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return out, nil
}

// describe names what e means for the template to word: its type, or a
// finer name ("session.ended.account") where its reason or actor says
// more. It reports false for an event the page leaves out.
func (h *Handlers) describe(e idp.AuditEvent) (string, bool) {
	if !activityShown[e.Type] {
		return "", false
	}
	what := string(e.Type)
	reason, _ := e.Detail["reason"].(string)
	byMember := e.Actor == idp.ActorMember(e.MemberID)
	switch {
	case e.Type == idp.AuditPasswordChangeFailed && reason == reasonThrottled:
		what += ".throttled"
	case e.Type == idp.AuditSessionEnded && (reason == "account" || reason == "password_changed"):
		what += "." + reason
	case e.Type == idp.AuditSessionEnded && (reason == "expired" || reason == "idle"):
		what += ".unused"
	case (e.Type == idp.AuditMemberUpdated || e.Type == idp.AuditSessionEnded) && !byMember && e.Actor != idp.ActorSystem:
		what += ".admin"
	}
	return what, true
}

// appName is the name of the client id, looked up once per page.
func (h *Handlers) appName(ctx context.Context, cache map[string]string, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if name, ok := cache[id]; ok {
		return name, nil
	}
	name := id
	c, err := h.store.Clients.ByID(ctx, id)
	if err != nil && !errors.Is(err, idp.ErrNotFound) {
		return "", err
	}
	if err == nil && c.Name != "" {
		name = c.Name
	}
	cache[id] = name
	return name, nil
}
