package admin

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/members"
	"github.com/idp/idp/storage"
)

// memberFields are the fields of a member an administrator sets, named as
// in the bootstrap file; a merge patch may change exactly these.
type memberFields struct {
	Email    string `json:"email"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled"`
	// EmailVerified is the email_verified claim: an administrator may
	// vouch for an address; a new address is unverified unless the same
	// change sets it (members.Service.Update).
	EmailVerified bool `json:"email_verified"`
	// MFARequired makes the member enrol a second factor at their next
	// sign-in and pass it at every sign-in.
	MFARequired bool `json:"mfa_required"`
	profileFields
}

// profileFields are the member's standard claims (OpenID Connect Core
// §5.1), flat in the member as in the bootstrap file. Every one is always
// present ("" or null when unset) so a merge patch may name it; the rules
// are members.ValidateProfile's.
type profileFields struct {
	GivenName           string       `json:"given_name"`
	FamilyName          string       `json:"family_name"`
	MiddleName          string       `json:"middle_name"`
	Nickname            string       `json:"nickname"`
	Picture             string       `json:"picture"`
	Website             string       `json:"website"`
	Gender              string       `json:"gender"`
	Birthdate           string       `json:"birthdate"`
	Zoneinfo            string       `json:"zoneinfo"`
	Locale              string       `json:"locale"`
	PhoneNumber         string       `json:"phone_number"`
	PhoneNumberVerified bool         `json:"phone_number_verified"`
	Address             *idp.Address `json:"address"`
}

func fieldsOfProfile(p idp.Profile) profileFields {
	f := profileFields{GivenName: p.GivenName, FamilyName: p.FamilyName, MiddleName: p.MiddleName, Nickname: p.Nickname,
		Picture: p.Picture, Website: p.Website, Gender: p.Gender, Birthdate: p.Birthdate, Zoneinfo: p.Zoneinfo,
		Locale: p.Locale, PhoneNumber: p.PhoneNumber, PhoneNumberVerified: p.PhoneNumberVerified}
	if p.Address != nil {
		a := *p.Address
		f.Address = &a
	}
	return f
}

func (f profileFields) profile() idp.Profile {
	p := idp.Profile{GivenName: f.GivenName, FamilyName: f.FamilyName, MiddleName: f.MiddleName, Nickname: f.Nickname,
		Picture: f.Picture, Website: f.Website, Gender: f.Gender, Birthdate: f.Birthdate, Zoneinfo: f.Zoneinfo,
		Locale: f.Locale, PhoneNumber: f.PhoneNumber, PhoneNumberVerified: f.PhoneNumberVerified}
	if f.Address != nil {
		a := *f.Address
		p.Address = &a
	}
	return p
}

// memberJSON is a member as the API shows it: never the password hash.
type memberJSON struct {
	ID string `json:"id"`
	memberFields
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// memberCreate is the body of POST /members. It repeats memberFields
// rather than embedding them, so decoding errors name the JSON field alone.
type memberCreate struct {
	memberFields
	Password string `json:"password"`
	// Invite mails the member a link to choose their password
	// (members.Mail.Invite); Password may then be left out.
	Invite bool `json:"invite"`
}

func fieldsOfMember(m idp.Member) memberFields {
	return memberFields{Email: m.Email, Username: m.Username, Name: m.Name, Role: string(m.Role), Disabled: m.Disabled,
		EmailVerified: m.EmailVerified, MFARequired: m.MFARequired, profileFields: fieldsOfProfile(m.Profile)}
}

func (f memberFields) apply(m *idp.Member) {
	m.Email, m.Username, m.Name, m.Role, m.Disabled = f.Email, f.Username, f.Name, idp.Role(f.Role), f.Disabled
	m.EmailVerified = f.EmailVerified
	m.MFARequired = f.MFARequired
	m.Profile = f.profileFields.profile()
}

func renderMember(m idp.Member) memberJSON {
	return memberJSON{ID: m.ID, memberFields: fieldsOfMember(m), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rows, err := a.cfg.Store.Members.Page(r.Context(), storage.MemberFilter{Email: q.Get("email"), Username: q.Get("username")}, after, limit+1)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pageOf(rows, limit, func(m idp.Member) string { return m.ID }, renderMember))
}

func (a *API) getMember(w http.ResponseWriter, r *http.Request) error {
	m, err := a.cfg.Store.Members.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(m))
	return writeJSON(w, http.StatusOK, renderMember(m))
}

// createMember adds a member with a password, which is hashed by package
// members and never shown again.
func (a *API) createMember(w http.ResponseWriter, r *http.Request) error {
	var in memberCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	var m idp.Member
	in.memberFields.apply(&m)
	members.Normalize(&m)
	if err := members.Validate(m); err != nil {
		return err
	}
	if !in.Invite || in.Password != "" {
		if err := members.CheckPassword(in.Password, "password"); err != nil {
			return fieldProblem("password", strings.TrimPrefix(err.Error(), "password: "))
		}
	}
	if in.Invite && !a.cfg.Mail.Enabled() {
		return members.ErrMailOff
	}
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		if err := a.cfg.Members.Create(ctx, &m, in.Password); err != nil {
			return err
		}
		if err := a.record(ctx, r, idp.AuditEvent{Type: idp.AuditMemberCreated, MemberID: m.ID,
			Detail: audit.Changes(nil, asMap(fieldsOfMember(m)))}); err != nil {
			return err
		}
		if !in.Invite {
			return nil
		}
		return a.invite(ctx, r, m.ID)
	})
	if err != nil {
		return err
	}
	m, err = a.cfg.Store.Members.ByID(r.Context(), m.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/members/"+m.ID)
	w.Header().Set("ETag", etag(m))
	return writeJSON(w, http.StatusCreated, renderMember(m))
}

// patchMember applies a JSON merge patch (RFC 7396) under If-Match.
// Disabling a member ends their sessions and revokes their refresh tokens
// (members.Service.Update).
func (a *API) patchMember(w http.ResponseWriter, r *http.Request) error {
	after, err := patchResource(a, r, patchable[idp.Member, memberFields]{
		lock: a.cfg.Store.Members.Lock, byID: a.cfg.Store.Members.ByID, fields: fieldsOfMember,
		id: func(m idp.Member) string { return m.ID }, update: a.updateMember,
		event: func(m idp.Member, d map[string]any) idp.AuditEvent {
			return idp.AuditEvent{Type: idp.AuditMemberUpdated, MemberID: m.ID, Detail: d}
		},
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(after))
	return writeJSON(w, http.StatusOK, renderMember(after))
}

// updateMember writes m through the members rules and, when it gave the
// member an unverified new address, mails a verification link to it, in
// the change's transaction.
func (a *API) updateMember(ctx context.Context, m idp.Member) error {
	before, err := a.cfg.Store.Members.ByID(ctx, m.ID)
	if err != nil {
		return err
	}
	if err := a.cfg.Members.Update(ctx, m); err != nil {
		return err
	}
	return a.cfg.Mail.EmailChanged(ctx, before, m.ID)
}

// inviteMember mails the member a link to choose their password; using
// it also verifies their address (members.Mail.Invite).
func (a *API) inviteMember(w http.ResponseWriter, r *http.Request) error {
	var m idp.Member
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		if err := a.invite(ctx, r, r.PathValue("id")); err != nil {
			return err
		}
		var err error
		m, err = a.cfg.Store.Members.ByID(ctx, r.PathValue("id"))
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, renderMember(m))
}

// invite sends the invitation and records who asked for it.
func (a *API) invite(ctx context.Context, r *http.Request, id string) error {
	m, err := a.cfg.Mail.Invite(ctx, id)
	if err != nil {
		return err
	}
	return a.record(ctx, r, idp.AuditEvent{Type: idp.AuditMemberInvited, MemberID: m.ID})
}

// deleteMember removes a member; their sessions end with back-channel
// logout first (members.Service.Remove).
func (a *API) deleteMember(w http.ResponseWriter, r *http.Request) error {
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		m, err := a.cfg.Store.Members.ByID(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := a.cfg.Members.Remove(ctx, m.ID); err != nil {
			return err
		}
		return a.record(ctx, r, idp.AuditEvent{Type: idp.AuditMemberDeleted, MemberID: m.ID,
			Detail: audit.Changes(asMap(fieldsOfMember(m)), nil)})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resetMFA removes every second factor of a member who lost them
// (members.Service.ResetMFA), audited as mfa.reset in the same
// transaction. It answers 204 whether or not the member had any.
func (a *API) resetMFA(w http.ResponseWriter, r *http.Request) error {
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		id := r.PathValue("id")
		had, err := a.cfg.Members.ResetMFA(ctx, id)
		if err != nil {
			return err
		}
		return a.record(ctx, r, idp.AuditEvent{Type: idp.AuditMFAReset, MemberID: id, Detail: map[string]any{"had_factors": had}})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// record writes an audit event of the request's actor in the transaction
// ctx carries.
func (a *API) record(ctx context.Context, r *http.Request, e idp.AuditEvent) error {
	e.Actor, e.Time, e.Address = actor(r.Context()), a.cfg.Now().UTC(), a.cfg.Address(r)
	return a.cfg.Recorder.Record(ctx, e)
}
