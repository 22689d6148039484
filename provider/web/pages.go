package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"time"

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
	// Account is the signed-in member's overview (package account), and
	// the others its sections.
	Account, AccountPassword, AccountSessions, AccountApps, AccountActivity *template.Template
	errorPage                                                               *template.Template
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
		"account.html": &p.Account, "account_password.html": &p.AccountPassword,
		"account_sessions.html": &p.AccountSessions, "account_apps.html": &p.AccountApps,
		"account_activity.html": &p.AccountActivity,
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
	// AccountPage is account.html. Error is a web.Msg* of a refused
	// change, Notice what the last change did.
	AccountPage struct{ Name, Email, Username, CSRFToken, Error, Notice string }
	// AccountPasswordPage is account_password.html.
	AccountPasswordPage struct {
		CSRFToken, Error, Notice string
		MinLength, MaxLength     int
	}
	// AccountSessionsPage is account_sessions.html: the member's sessions,
	// newest use first.
	AccountSessionsPage struct {
		CSRFToken, Notice string
		Sessions          []AccountSession
		// Others is whether any session but this one is listed.
		Others bool
	}
	// AccountSession is one line of account_sessions.html. Browser is the
	// short form of its User-Agent ("Firefox on Linux").
	AccountSession struct {
		ID, Browser, Address   string
		SignedInAt, LastSeenAt time.Time
		Current                bool
	}
	// AccountAppsPage is account_apps.html: the member's remembered
	// consents.
	AccountAppsPage struct {
		CSRFToken, Notice string
		Apps              []AccountApp
	}
	// AccountApp is one remembered consent.
	AccountApp struct {
		ClientID, Name string
		Scopes         []ScopeInfo
		GrantedAt      time.Time
	}
	// AccountActivityPage is account_activity.html: recent security
	// events of the member, newest first, in plain words.
	AccountActivityPage struct {
		Events []AccountEvent
		// Limit is how many events the page shows at most.
		Limit int
	}
	// AccountEvent is one line of account_activity.html.
	AccountEvent struct {
		Time               time.Time
		What, App, Address string
		// Warning marks an event the member should look at (a failure).
		Warning bool
	}
	// LoggedOutPage is loggedout.html.
	LoggedOutPage struct{ SignedOut bool }
	errorPage     struct{ Title, Message, Code string }
)

// ScopeInfo is one line of the consent page. ByClaims marks a scope the
// client did not list in scope but asked for through a claim it carries.
type ScopeInfo struct {
	Name, Description string
	ByClaims          bool
}

// ScopeDescriptions explain scopes on the consent page in plain words.
var ScopeDescriptions = map[string]string{
	idp.ScopeOpenID:        "sign you in",
	idp.ScopeProfile:       "see your name and username",
	idp.ScopeEmail:         "see your email address",
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
