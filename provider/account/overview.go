package account

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/members"
	"github.com/idp/idp/provider/web"
)

// HandleOverview shows who is signed in, with the form to change the
// display name.
func (h *Handlers) HandleOverview(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	h.renderOverview(w, r, v, http.StatusOK, "")
}

func (h *Handlers) renderOverview(w http.ResponseWriter, r *http.Request, v Visit, status int, msg string) {
	h.web.Render(w, r, status, h.web.Pages.Account, web.AccountPage{
		Name: v.Member.Name, Email: v.Member.Email, Username: v.Member.Username, CSRFToken: v.CSRFToken,
		Error: msg, Notice: notice(r),
	})
}

// HandleName changes the member's display name through the members rules
// (members.Update), recorded as member.updated with the member as actor.
// The member is locked while the change is written, so a concurrent
// administrator's change (disabling them, say) is neither lost nor undone.
func (h *Handlers) HandleName(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	svc := members.Service{Store: h.store, EndSessions: noEndSessions}
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		m, err := h.store.Members.Lock(ctx, v.Member.ID)
		if err != nil {
			return err
		}
		if m.Name == name {
			return nil
		}
		before := m.Name
		m.Name = name
		if err := svc.Update(ctx, m); err != nil {
			return err
		}
		return h.cfg.Audit.Record(ctx, idp.AuditEvent{Type: idp.AuditMemberUpdated, Actor: idp.ActorMember(m.ID),
			MemberID: m.ID, SessionID: v.Session.ID, Address: h.web.ClientAddr(r),
			Detail: audit.Changes(map[string]any{"name": before}, map[string]any{"name": name})})
	})
	if errors.Is(err, idp.ErrInvalid) {
		h.renderOverview(w, r, v, http.StatusBadRequest, h.web.T(r, web.MsgNameRule, members.MaxNameBytes))
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	done(w, r, Path, "name")
}

// noEndSessions stands for members.Service's session ending where the
// change at hand ends none (a name), so a mistake that would call it
// fails loudly instead of ending sessions unaudited.
func noEndSessions(context.Context, string) (int, error) {
	return 0, errors.New("account: no session ends here")
}

// notices are the words a section's page may show after a change,
// carried by the done parameter of the redirect that follows it
// (post/redirect/get, so a reload repeats nothing). The page's template
// says them in full; anything else shows nothing.
var notices = map[string]bool{
	"name": true, "password": true, "password-others": true, "ended": true, "others": true, "revoked": true,
}

func notice(r *http.Request) string {
	if d := r.URL.Query().Get("done"); notices[d] {
		return d
	}
	return ""
}

// done answers a change that went through: back to the section's page,
// which says what happened.
func done(w http.ResponseWriter, r *http.Request, path, what string) {
	http.Redirect(w, r, path+"?done="+what, http.StatusSeeOther)
}
