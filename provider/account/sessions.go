package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
)

// HandleSessions lists the member's sessions, most recently used first,
// this browser's marked.
func (h *Handlers) HandleSessions(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	list, err := h.store.Sessions.ByMember(r.Context(), v.Member.ID)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	slices.SortFunc(list, func(a, b idp.Session) int { return b.LastSeenAt.Compare(a.LastSeenAt) })
	page := web.AccountSessionsPage{CSRFToken: v.CSRFToken, Notice: notice(r)}
	for _, s := range list {
		page.Sessions = append(page.Sessions, web.AccountSession{
			ID: s.ID, Browser: Browser(s.UserAgent), Address: s.Address,
			SignedInAt: s.AuthTime.UTC(), LastSeenAt: s.LastSeenAt.UTC().Truncate(time.Second), Current: s.ID == v.Session.ID,
		})
		page.Others = page.Others || s.ID != v.Session.ID
	}
	h.web.Render(w, r, http.StatusOK, h.web.Pages.AccountSessions, page)
}

// HandleEndSession signs out one session of the member (field session),
// or every one but this browser's (field others). A session id that is
// not one of the member's, or no longer live, changes nothing and is
// answered 404, whoever it belongs to. Ending this browser's own session
// signs it out here too.
func (h *Handlers) HandleEndSession(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	e := h.event(r, v, idp.AuditSessionEnded, "account")
	if r.PostFormValue("others") != "" {
		err := h.store.InTx(ctx, func(ctx context.Context) error {
			others, err := h.otherSessions(ctx, v)
			if err != nil {
				return err
			}
			return h.cfg.EndSessions(ctx, others, e)
		})
		if err != nil {
			h.web.Internal(w, r, err)
			return
		}
		done(w, r, PathSessions, "others")
		return
	}
	s, err := h.store.Sessions.ByID(ctx, r.PostFormValue("session"))
	if errors.Is(err, idp.ErrNotFound) || (err == nil && s.MemberID != v.Member.ID) {
		h.web.Fail(w, r, web.AccountSessionNotFound, fmt.Errorf("member %s: end session: not theirs or gone", v.Member.ID))
		return
	}
	if err == nil {
		err = h.cfg.EndSessions(ctx, []idp.Session{s}, e)
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if s.ID == v.Session.ID {
		h.web.SetCookie(w, web.SessionCookie, "", time.Time{})
		h.web.Render(w, r, http.StatusOK, h.web.Pages.LoggedOut, web.LoggedOutPage{SignedOut: true})
		return
	}
	done(w, r, PathSessions, "ended")
}

// otherSessions returns the member's sessions but the one of v.
func (h *Handlers) otherSessions(ctx context.Context, v Visit) ([]idp.Session, error) {
	list, err := h.store.Sessions.ByMember(ctx, v.Member.ID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(s idp.Session) bool { return s.ID == v.Session.ID }), nil
}
