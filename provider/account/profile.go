package account

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/members"
	"github.com/idp/idp/provider/web"
)

// ProfilePath is the page where members edit their name and standard
// claims (OpenID Connect Core §5.1).
const ProfilePath = Path + "/profile"

// HandleProfile shows the member's profile form.
func (h *Handlers) HandleProfile(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	h.web.Render(w, r, http.StatusOK, h.web.Pages.AccountProfile, web.AccountProfilePage{
		CSRFToken: v.CSRFToken, Form: formOf(v.Member), PhoneVerified: v.Member.Profile.PhoneNumberVerified,
		Saved: r.URL.Query().Get("saved") == "1",
	})
}

// HandleProfileSave stores the submitted profile through the members
// rules, which name every refused field; the form comes back with the
// values as typed and nothing is changed. The member may not mark their
// own phone number verified: a number they change is unverified until an
// administrator says otherwise. The row is locked while it is rewritten,
// so an administrator's concurrent change to the member (role, email) is
// not undone, and the change is audited in the same transaction.
func (h *Handlers) HandleProfileSave(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	form := readProfileForm(r)
	var problems []*members.FieldError
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		before, err := h.store.Members.Lock(ctx, v.Member.ID)
		if err != nil {
			return err
		}
		after := applyForm(form, before)
		if err := h.cfg.Members.Update(ctx, after); err != nil {
			return err
		}
		stored, err := h.store.Members.ByID(ctx, before.ID)
		if err != nil {
			return err
		}
		d := audit.Changes(profileMap(before), profileMap(stored))
		if d == nil {
			return nil
		}
		return h.cfg.Audit.Record(ctx, idp.AuditEvent{Type: idp.AuditMemberUpdated, Actor: idp.ActorMember(before.ID),
			MemberID: before.ID, Time: h.cfg.Now().UTC(), Address: h.web.ClientAddr(r), Detail: d})
	})
	if problems = fieldErrors(err); len(problems) > 0 {
		page := web.AccountProfilePage{CSRFToken: v.CSRFToken, Form: form, PhoneVerified: v.Member.Profile.PhoneNumberVerified}
		for _, p := range problems {
			input := strings.ReplaceAll(p.Field, ".", "_")
			page.Errors = append(page.Errors, web.FieldMessage{Input: input, Label: profileLabels[input], Message: p.Msg})
		}
		h.web.Render(w, r, http.StatusUnprocessableEntity, h.web.Pages.AccountProfile, page)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	http.Redirect(w, r, ProfilePath+"?saved=1", http.StatusSeeOther)
}

// profileLabels are the labels of the form's inputs, by input name, as
// the page shows them.
var profileLabels = map[string]string{
	"name": "Display name", "given_name": "Given name", "family_name": "Family name", "middle_name": "Middle name",
	"nickname": "Nickname", "picture": "Picture URL", "website": "Website", "gender": "Gender",
	"birthdate": "Birthdate", "zoneinfo": "Time zone", "locale": "Language", "phone_number": "Phone number",
	"phone_number_verified": "Phone number", "address_formatted": "Full address",
	"address_street_address": "Street address", "address_locality": "City", "address_region": "Region",
	"address_postal_code": "Postal code", "address_country": "Country",
}

// fieldErrors are the member rules err reports as broken.
func fieldErrors(err error) []*members.FieldError {
	var out []*members.FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*members.FieldError); ok {
			out = append(out, fe)
			return
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	if err != nil && errors.Is(err, idp.ErrInvalid) {
		walk(err)
	}
	return out
}

// profileMap is what the audit event compares: the name and the claims.
func profileMap(m idp.Member) map[string]any {
	raw, _ := json.Marshal(m.Profile)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	out["name"] = m.Name
	return out
}

func readProfileForm(r *http.Request) web.ProfileForm {
	get := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	return web.ProfileForm{
		Name: get("name"), GivenName: get("given_name"), FamilyName: get("family_name"), MiddleName: get("middle_name"),
		Nickname: get("nickname"), Picture: get("picture"), Website: get("website"), Gender: get("gender"),
		Birthdate: get("birthdate"), Zoneinfo: get("zoneinfo"), Locale: get("locale"), PhoneNumber: get("phone_number"),
		// Multi-line fields keep their inner line breaks, as
		// browsers send them (CRLF), written as LF.
		Formatted:     strings.ReplaceAll(get("address_formatted"), "\r\n", "\n"),
		StreetAddress: strings.ReplaceAll(get("address_street_address"), "\r\n", "\n"),
		Locality:      get("address_locality"), Region: get("address_region"),
		PostalCode: get("address_postal_code"), Country: get("address_country"),
	}
}

func formOf(m idp.Member) web.ProfileForm {
	p := m.Profile
	f := web.ProfileForm{Name: m.Name, GivenName: p.GivenName, FamilyName: p.FamilyName, MiddleName: p.MiddleName,
		Nickname: p.Nickname, Picture: p.Picture, Website: p.Website, Gender: p.Gender, Birthdate: p.Birthdate,
		Zoneinfo: p.Zoneinfo, Locale: p.Locale, PhoneNumber: p.PhoneNumber}
	if a := p.Address; a != nil {
		f.Formatted, f.StreetAddress, f.Locality, f.Region, f.PostalCode, f.Country =
			a.Formatted, a.StreetAddress, a.Locality, a.Region, a.PostalCode, a.Country
	}
	return f
}

// applyForm returns m with the form's name and profile.
// phone_number_verified stays as an administrator set it while the number
// is unchanged.
func applyForm(f web.ProfileForm, m idp.Member) idp.Member {
	verified := m.Profile.PhoneNumberVerified && f.PhoneNumber == m.Profile.PhoneNumber
	m.Name = f.Name
	m.Profile = idp.Profile{GivenName: f.GivenName, FamilyName: f.FamilyName, MiddleName: f.MiddleName,
		Nickname: f.Nickname, Picture: f.Picture, Website: f.Website, Gender: f.Gender, Birthdate: f.Birthdate,
		Zoneinfo: f.Zoneinfo, Locale: f.Locale, PhoneNumber: f.PhoneNumber, PhoneNumberVerified: verified,
		Address: &idp.Address{Formatted: f.Formatted, StreetAddress: f.StreetAddress, Locality: f.Locality,
			Region: f.Region, PostalCode: f.PostalCode, Country: f.Country}}
	return m // members.Normalize drops the address when every part is empty
}
