package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/idp/idp"
	"github.com/idp/idp/templates"
)

// Pages holds the parsed templates; parsing once at start makes a broken
// page a start-up error instead of a failed login.
type Pages struct {
	Login, Consent, Logout, LoggedOut *template.Template
	// Device, DeviceConsent and DeviceDone are the pages of the device
	// authorization grant: the code form, the question, the answer.
	Device, DeviceConsent, DeviceDone *template.Template
	// Account is the signed-in member's overview (package account);
	// AccountProfile the form of their name and standard claims.
	Account, AccountProfile *template.Template
	errorPage               *template.Template
	// FormPost is fosite's form_post response page; it stands alone, as
	// fosite executes it with its own data.
	FormPost *template.Template
}

func parsePages() (*Pages, error) {
	parse := func(name string) (*template.Template, error) {
		t, err := template.ParseFS(templates.FS, "layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		return t.Lookup(name), nil
	}
	var p Pages
	var err error
	for name, dst := range map[string]**template.Template{
		"login.html": &p.Login, "consent.html": &p.Consent, "logout.html": &p.Logout,
		"loggedout.html": &p.LoggedOut, "error.html": &p.errorPage,
		"device.html": &p.Device, "device_consent.html": &p.DeviceConsent, "device_done.html": &p.DeviceDone,
		"account.html": &p.Account, "account_profile.html": &p.AccountProfile,
	} {
		if *dst, err = parse(name); err != nil {
			return nil, err
		}
	}
	if p.FormPost, err = template.ParseFS(templates.FS, "form_post.html"); err != nil {
		return nil, fmt.Errorf("template form_post.html: %w", err)
	}
	return &p, nil
}

// Data of each page.
type (
	// LoginPage is login.html.
	LoginPage struct {
		ClientName, FlowID, CSRFToken, Username, Error string
	}
	// ConsentPage is consent.html.
	ConsentPage struct {
		ClientName, MemberName, FlowID, CSRFToken string
		Scopes                                    []ScopeInfo
	}
	// LogoutPage is logout.html, the question before signing out.
	LogoutPage struct {
		MemberName, ClientName, CSRFToken, Flow string
	}
	// DevicePage is device.html, where the member types the user code.
	DevicePage struct{ CSRFToken, UserCode, Error string }
	// DeviceConsentPage is device_consent.html.
	DeviceConsentPage struct {
		ClientName, MemberName, FlowID, CSRFToken string
		Scopes                                    []ScopeInfo
	}
	// DeviceDonePage is device_done.html: Allowed, or denied.
	DeviceDonePage struct{ Allowed bool }
	// AccountPage is account.html.
	AccountPage struct{ Name, Email, Username, CSRFToken string }
	// AccountProfilePage is account_profile.html. Errors name the
	// refused fields; Saved confirms a stored change.
	AccountProfilePage struct {
		CSRFToken     string
		Form          ProfileForm
		PhoneVerified bool
		Saved         bool
		Errors        []FieldMessage
	}
	// LoggedOutPage is loggedout.html.
	LoggedOutPage struct{ SignedOut bool }
	errorPage     struct{ Title, Message, Code string }
)

// ProfileForm holds the values of the profile form, as stored or as
// typed.
type ProfileForm struct {
	Name, GivenName, FamilyName, MiddleName, Nickname, Picture, Website, Gender string
	Birthdate, Zoneinfo, Locale, PhoneNumber                                    string
	Formatted, StreetAddress, Locality, Region, PostalCode, Country             string
}

// FieldMessage is one refused field of a form: Input is the id of its
// input, Label its label, Message what is wrong.
type FieldMessage struct{ Input, Label, Message string }

// ScopeInfo is one line of the consent page. ByClaims marks a scope the
// client did not list in scope but asked for through a claim it carries.
type ScopeInfo struct {
	Name, Description string
	ByClaims          bool
}

// ScopeDescriptions explain scopes on the consent page in plain words.
var ScopeDescriptions = map[string]string{
	idp.ScopeOpenID:        "sign you in",
	idp.ScopeProfile:       "see your name, username and profile (picture, website, gender, birthdate, time zone, language)",
	idp.ScopeEmail:         "see your email address",
	idp.ScopePhone:         "see your phone number",
	idp.ScopeAddress:       "see your postal address",
	idp.ScopeRoles:         "see your role",
	idp.ScopeOfflineAccess: "stay signed in when you are away",
}

// Render writes a page; it renders into a buffer first so a template error
// never leaves a half-written page.
func (k *Kit) Render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		k.cfg.Log.Error("render page", "page", t.Name(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
