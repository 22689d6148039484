package console

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/members"
	"github.com/idp/idp/provider/account"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage"
)

// memberFields are a member's fields as the audit trail records them,
// named as the admin API and the bootstrap file name them, so an event
// reads the same whichever way the change was made.
func memberFields(m idp.Member) map[string]any {
	return map[string]any{"email": m.Email, "username": m.Username, "name": m.Name, "role": string(m.Role),
		"disabled": m.Disabled}
}

func memberForm(m idp.Member) web.ConsoleMemberForm {
	return web.ConsoleMemberForm{ID: m.ID, Email: m.Email, Username: m.Username, Name: m.Name, Role: string(m.Role),
		Disabled: m.Disabled, Version: version(m.UpdatedAt)}
}

// submittedMember reads the member form.
func submittedMember(r *http.Request) web.ConsoleMemberForm {
	return web.ConsoleMemberForm{
		Email: strings.TrimSpace(r.PostFormValue("email")), Username: strings.TrimSpace(r.PostFormValue("username")),
		Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"), Version: r.PostFormValue("version"),
	}
}

// listMembers shows one page of members, or those whose email (anything
// with an "@") or username is the search.
func (h *Handlers) listMembers(w http.ResponseWriter, r *http.Request, _ account.Visit) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	var f storage.MemberFilter
	if strings.Contains(q, "@") {
		f.Email = q
	} else {
		f.Username = q
	}
	rows, err := h.store.Members.Page(r.Context(), f, r.URL.Query().Get("after"), PageSize+1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := web.ConsoleMembersPage{Query: q, Members: rows, Notice: notice(r)}
	if len(rows) > PageSize {
		data.Members = rows[:PageSize]
		data.Next = template.URL(url.Values{"q": {q}, "after": {rows[PageSize-1].ID}}.Encode())
	}
	h.web.Render(w, r, http.StatusOK, h.pages.Members, data)
}

func (h *Handlers) newMember(w http.ResponseWriter, r *http.Request, v account.Visit) {
	h.web.Render(w, r, http.StatusOK, h.pages.Member, web.ConsoleMemberPage{
		CSRFToken: v.CSRFToken, New: true, Member: web.ConsoleMemberForm{Role: string(idp.RoleMember)},
	})
}

// createMember adds a member through the members rules, as the admin
// API's POST /members does, audited as member.created.
func (h *Handlers) createMember(w http.ResponseWriter, r *http.Request, v account.Visit) {
	form := submittedMember(r)
	m := idp.Member{Email: form.Email, Username: form.Username, Name: form.Name, Role: idp.Role(form.Role)}
	members.Normalize(&m)
	pw := r.PostFormValue("password")
	var errs []string
	if err := members.Validate(m); err != nil {
		errs = problems(err)
	}
	if err := members.CheckPassword(pw, "password"); err != nil {
		errs = append(errs, err.Error())
	}
	if errs == nil {
		err := h.store.InTx(r.Context(), func(ctx context.Context) error {
			if err := h.cfg.Members.Create(ctx, &m, pw); err != nil {
				return err
			}
			return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditMemberCreated, MemberID: m.ID,
				Detail: audit.Changes(nil, memberFields(m))})
		})
		if err == nil {
			done(w, r, Path+"/members/"+url.PathEscape(m.ID), "added")
			return
		}
		if errs = h.refusal(err); errs == nil {
			h.fail(w, r, err)
			return
		}
	}
	h.web.Render(w, r, http.StatusUnprocessableEntity, h.pages.Member, web.ConsoleMemberPage{
		CSRFToken: v.CSRFToken, New: true, Member: form, Errors: errs,
	})
}

// refusal is the form's error list for a change the rules refused (a
// broken rule, a taken email or username, a stale form), or nil for a
// failure that is not the administrator's to fix.
func (h *Handlers) refusal(err error) []string {
	switch {
	case errors.Is(err, errStale):
		return []string{errStale.Error()}
	case errors.Is(err, idp.ErrConflict):
		return []string{msgTaken}
	case errors.Is(err, idp.ErrInvalid):
		return problems(err)
	}
	return nil
}

// showMember shows the edit form and the member's actions.
func (h *Handlers) showMember(w http.ResponseWriter, r *http.Request, v account.Visit) {
	m, err := h.store.Members.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderMember(w, r, v, http.StatusOK, m, memberForm(m), nil)
}

func (h *Handlers) renderMember(w http.ResponseWriter, r *http.Request, v account.Visit, status int, m idp.Member,
	form web.ConsoleMemberForm, errs []string) {
	list, err := h.store.Sessions.ByMember(r.Context(), m.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form.ID, form.Disabled = m.ID, m.Disabled
	h.web.Render(w, r, status, h.pages.Member, web.ConsoleMemberPage{
		CSRFToken: v.CSRFToken, Member: form, Errors: errs, Sessions: len(list), Notice: notice(r),
		MailOn: h.cfg.Mail.Enabled(),
	})
}

// changeMember runs change on the member of the request's path, locked
// in one transaction, writes the result through members.Service.Update
// and records member.updated with what changed, as the admin API's PATCH
// does. Nothing changed records nothing. It returns whether anything
// changed.
func (h *Handlers) changeMember(r *http.Request, v account.Visit, change func(m *idp.Member) error) (bool, error) {
	changed := false
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		before, err := h.store.Members.Lock(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		m := before
		if err := change(&m); err != nil {
			return err
		}
		if err := h.cfg.Members.Update(ctx, m); err != nil {
			return err
		}
		after, err := h.store.Members.ByID(ctx, m.ID)
		if err != nil {
			return err
		}
		d := audit.Changes(memberFields(before), memberFields(after))
		if d == nil {
			return nil
		}
		changed = true
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditMemberUpdated, MemberID: m.ID, Detail: d})
	})
	return changed, err
}

// updateMember saves the profile form (name, email, username, role),
// refused when the member changed since the form was shown.
func (h *Handlers) updateMember(w http.ResponseWriter, r *http.Request, v account.Visit) {
	form := submittedMember(r)
	changed, err := h.changeMember(r, v, func(m *idp.Member) error {
		if form.Version != version(m.UpdatedAt) {
			return errStale
		}
		m.Email, m.Username, m.Name, m.Role = form.Email, form.Username, form.Name, idp.Role(form.Role)
		return nil
	})
	if err == nil {
		done(w, r, Path+"/members/"+url.PathEscape(r.PathValue("id")), map[bool]string{true: "saved", false: "unchanged"}[changed])
		return
	}
	errs, stale := h.refusal(err), errors.Is(err, errStale)
	if errs == nil {
		h.fail(w, r, err)
		return
	}
	m, err := h.store.Members.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if stale { // show what is stored now, not the form that would undo it
		form = memberForm(m)
	}
	form.Version = version(m.UpdatedAt)
	h.renderMember(w, r, v, http.StatusUnprocessableEntity, m, form, errs)
}

// setDisabled disables a member (ending their sessions with back-channel
// logout and revoking their refresh tokens, members.Service.Update) or
// enables one.
func (h *Handlers) setDisabled(disabled bool) page {
	return func(w http.ResponseWriter, r *http.Request, v account.Visit) {
		_, err := h.changeMember(r, v, func(m *idp.Member) error {
			m.Disabled = disabled
			return nil
		})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		done(w, r, Path+"/members/"+url.PathEscape(r.PathValue("id")), map[bool]string{true: "disabled", false: "enabled"}[disabled])
	}
}

// setPassword gives the member a new password (members.Service.SetPassword:
// their sessions end unless the form keeps them), recorded as
// member.updated naming the password as changed, never its value.
func (h *Handlers) setPassword(w http.ResponseWriter, r *http.Request, v account.Visit) {
	pw, keep := r.PostFormValue("password"), r.PostFormValue("keep_sessions") == "1"
	if err := members.CheckPassword(pw, "password"); err != nil {
		m, lerr := h.store.Members.ByID(r.Context(), r.PathValue("id"))
		if lerr != nil {
			h.fail(w, r, lerr)
			return
		}
		h.renderMember(w, r, v, http.StatusUnprocessableEntity, m, memberForm(m), []string{err.Error()})
		return
	}
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		m, err := h.store.Members.Lock(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		ended, err := h.cfg.Members.SetPassword(ctx, m, pw, keep)
		if err != nil {
			return err
		}
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditMemberUpdated, MemberID: m.ID,
			Detail: map[string]any{audit.SecretsChanged: []string{"password"}, "sessions_ended": ended}})
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	done(w, r, Path+"/members/"+url.PathEscape(r.PathValue("id")), "password")
}

// endMemberSessions ends every session of the member with back-channel
// logout and revokes their refresh tokens (members.Service.EndSessions),
// recording session.ended for each, as the admin API's DELETE
// /sessions/{sid} does for one.
func (h *Handlers) endMemberSessions(w http.ResponseWriter, r *http.Request, v account.Visit) {
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		m, err := h.store.Members.Lock(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		list, err := h.store.Sessions.ByMember(ctx, m.ID)
		if err != nil {
			return err
		}
		if _, err := h.cfg.Members.EndSessions(ctx, m.ID); err != nil {
			return err
		}
		for _, s := range list {
			if err := h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditSessionEnded, MemberID: m.ID, SessionID: s.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	done(w, r, Path+"/members/"+url.PathEscape(r.PathValue("id")), "ended")
}

// resetFactors removes every second factor of a member who lost them
// (members.Service.ResetMFA), audited as mfa.reset as the admin API's
// reset-mfa is.
func (h *Handlers) resetFactors(w http.ResponseWriter, r *http.Request, v account.Visit) {
	id := r.PathValue("id")
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		had, err := h.cfg.Members.ResetMFA(ctx, id)
		if err != nil {
			return err
		}
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditMFAReset, MemberID: id, Detail: map[string]any{"had_factors": had}})
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	done(w, r, Path+"/members/"+url.PathEscape(id), "factors")
}

// inviteMember mails the member a link to choose their password
// (members.Mail.Invite), audited as member.invited as the admin API's
// invite is.
func (h *Handlers) inviteMember(w http.ResponseWriter, r *http.Request, v account.Visit) {
	id := r.PathValue("id")
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		m, err := h.cfg.Mail.Invite(ctx, id)
		if err != nil {
			return err
		}
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditMemberInvited, MemberID: m.ID})
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	done(w, r, Path+"/members/"+url.PathEscape(id), "invited")
}

// confirmRemove asks before a member is removed.
func (h *Handlers) confirmRemove(w http.ResponseWriter, r *http.Request, v account.Visit) {
	m, err := h.store.Members.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.web.Render(w, r, http.StatusOK, h.pages.Remove, web.ConsoleRemovePage{CSRFToken: v.CSRFToken, Member: m})
}

// removeMember removes the member with their sessions (back-channel
// logout first, members.Service.Remove), recorded as member.deleted.
func (h *Handlers) removeMember(w http.ResponseWriter, r *http.Request, v account.Visit) {
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		m, err := h.store.Members.Lock(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := h.cfg.Members.Remove(ctx, m.ID); err != nil {
			return err
		}
		return h.record(ctx, r, v, idp.AuditEvent{Type: idp.AuditMemberDeleted, MemberID: m.ID,
			Detail: audit.Changes(memberFields(m), nil)})
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	done(w, r, Path+"/members", "removed")
}
