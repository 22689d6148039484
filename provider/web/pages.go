package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/idp/idp"
)

// Pages holds the parsed templates; parsing once at start makes a broken
// page a start-up error instead of a failed login.
type Pages struct {
	Login, Consent, Logout, LoggedOut *template.Template
	// Device, DeviceConsent and DeviceDone are the pages of the device
	// authorization grant: the code form, the question, the answer.
	Device, DeviceConsent, DeviceDone *template.Template
	// Account is the signed-in member's overview (package account);
	// AccountEmail its email section; Security their second factors;
	// Passkeys their passkeys.
	// AccountProfile the form of their name and standard claims.
	Account, AccountEmail, Security, Passkeys, AccountProfile *template.Template
	// AccountPassword, AccountSessions, AccountApps and AccountActivity
	// are the account's other sections.
	AccountPassword, AccountSessions, AccountApps, AccountActivity *template.Template
	// Forgot asks for the address to send a reset link to; SetPassword
	// is where a reset or invitation link leads; VerifyEmail is where a
	// verification link leads.
	Forgot, SetPassword, VerifyEmail *template.Template
	// OTP asks for a second factor's code; OTPEnrol sets up an
	// authenticator app (in a flow or on the account page);
	// RecoveryCodes shows new recovery codes once.
	OTP, OTPEnrol, RecoveryCodes *template.Template
	// Console holds the admin console's pages (package console).
	Console   ConsolePages
	errorPage *template.Template
	// FormPost is fosite's form_post response page; it stands alone, as
	// fosite executes it with its own data.
	FormPost *template.Template
	// byName finds a page by its file name: Render swaps the page it is
	// given for the same page parsed in the request's language.
	byName map[string]*template.Template
}

func parsePages(fsys fs.FS, funcs template.FuncMap) (*Pages, error) {
	parse := func(name string) (*template.Template, error) {
		t, err := template.New(name).Funcs(funcs).ParseFS(fsys, "layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		return t.Lookup(name), nil
	}
	p := Pages{byName: map[string]*template.Template{}}
	var err error
	for name, dst := range map[string]**template.Template{
		"login.html": &p.Login, "consent.html": &p.Consent, "logout.html": &p.Logout,
		"loggedout.html": &p.LoggedOut, "error.html": &p.errorPage,
		"device.html": &p.Device, "device_consent.html": &p.DeviceConsent, "device_done.html": &p.DeviceDone,
		"account.html": &p.Account, "account_email.html": &p.AccountEmail, "security.html": &p.Security,
		"passkeys.html":         &p.Passkeys,
		"account_password.html": &p.AccountPassword,
		"account_sessions.html": &p.AccountSessions, "account_apps.html": &p.AccountApps,
		"account_activity.html": &p.AccountActivity,
		"forgot.html":           &p.Forgot, "set_password.html": &p.SetPassword, "verify_email.html": &p.VerifyEmail,
		"otp.html": &p.OTP, "otp_enrol.html": &p.OTPEnrol, "recovery_codes.html": &p.RecoveryCodes,
		"account_profile.html": &p.AccountProfile,
		"console_members.html": &p.Console.Members, "console_member.html": &p.Console.Member,
		"console_remove.html": &p.Console.Remove, "console_clients.html": &p.Console.Clients,
		"console_client.html": &p.Console.Client, "console_secret.html": &p.Console.Secret,
		"console_sessions.html": &p.Console.Sessions, "console_audit.html": &p.Console.Audit,
		"console_keys.html": &p.Console.Keys,
	} {
		if *dst, err = parse(name); err != nil {
			return nil, err
		}
		p.byName[name] = *dst
	}
	if p.FormPost, err = template.ParseFS(fsys, "form_post.html"); err != nil {
		return nil, fmt.Errorf("template form_post.html: %w", err)
	}
	return &p, nil
}

// Data of each page.
type (
	// LoginPage is login.html.
	LoginPage struct {
		ClientName, FlowID, CSRFToken, Username, Error string
		// ForgotURL links to the password reset form, kept in the flow;
		// empty when the provider sends no mail.
		ForgotURL string
		// PasskeyOptions are the WebAuthn request options (JSON) for
		// passkey.js; empty when passkeys are off.
		PasskeyOptions string
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
	// AccountEmailPage is account_email.html. Sent: a verification link
	// was just sent. MailOff: the provider sends no mail.
	AccountEmailPage struct {
		Email, CSRFToken        string
		Verified, Sent, MailOff bool
	}
	// ForgotPage is forgot.html. Sent shows the one answer, whether or
	// not the address is known.
	ForgotPage struct {
		FlowID, CSRFToken, Email, Error string
		Sent, MailOff                   bool
	}
	// SetPasswordPage is set_password.html, for a reset link and an
	// invitation alike (Title and Action tell them apart). Invalid: the
	// link is dead; Done: the password is set.
	SetPasswordPage struct {
		Title, Action, Token, CSRFToken, Error string
		Invalid, Done                          bool
	}
	// VerifyEmailPage is verify_email.html.
	VerifyEmailPage struct {
		Token, CSRFToken string
		Invalid, Done    bool
	}
	// OTPPage is otp.html, the second-factor step.
	// HasOTP shows the code form; PasskeyOptions (WebAuthn request
	// options for passkey.js) the passkey button.
	OTPPage struct {
		ClientName, FlowID, CSRFToken, Error, PasskeyOptions string
		HasOTP                                               bool
	}
	// OTPEnrolPage is otp_enrol.html: the key as a QR code (an image the
	// provider serves at QRURL) and as text. FlowID is set in a sign-in
	// flow (InFlow), empty on the account page.
	OTPEnrolPage struct {
		Action, FlowID, CSRFToken, Error, QRURL, Secret string
		InFlow                                          bool
	}
	// RecoveryCodesPage is recovery_codes.html; its button posts to Action
	// in a flow (FlowID set) or links back to it on the account page.
	RecoveryCodesPage struct {
		Codes                     []string
		Action, FlowID, CSRFToken string
	}
	// SecurityPage is security.html, the member's second factors.
	SecurityPage struct {
		CSRFToken, Error, Notice string
		TOTP                     bool
		RecoveryCodesLeft        int
	}
	// PasskeysPage is passkeys.html. CreateOptions are the WebAuthn
	// creation options (JSON) for passkey.js; empty when passkeys cannot
	// be added (Available false: the issuer is no WebAuthn relying party).
	PasskeysPage struct {
		CSRFToken, Error, CreateOptions string
		Available                       bool
		Passkeys                        []PasskeyRow
	}
	// PasskeyRow is one passkey of PasskeysPage.
	PasskeyRow struct{ ID, Name, Created, LastUsed string }
	// AccountProfilePage is account_profile.html. Errors name the
	// refused fields; Saved confirms a stored change.
	AccountProfilePage struct {
		CSRFToken     string
		Form          ProfileForm
		PhoneVerified bool
		Saved         bool
		Errors        []FieldMessage
	}
	// ConsoleMembersPage is console_members.html: the search form and one
	// page of members. Next, here and on the other console lists, is the
	// query string of the next page ("" on the last), encoded by
	// url.Values.Encode.
	ConsoleMembersPage struct {
		Query, Notice string
		Next          template.URL
		Members       []idp.Member
	}
	// ConsoleMemberPage is console_member.html, the form that adds (New)
	// or edits a member, with the member's actions when editing.
	ConsoleMemberPage struct {
		CSRFToken, Notice string
		New               bool
		Member            ConsoleMemberForm
		// Errors lists every broken rule of the last submission.
		Errors   []string
		Sessions int
		// MailOn offers an invitation by mail.
		MailOn bool
	}
	// ConsoleRemovePage is console_remove.html, the question before a
	// member is removed.
	ConsoleRemovePage struct {
		CSRFToken string
		Member    idp.Member
	}
	// ConsoleClientsPage is console_clients.html.
	ConsoleClientsPage struct {
		Notice  string
		Next    template.URL
		Clients []idp.Client
	}
	// ConsoleClientPage is console_client.html, the form that adds (New)
	// or edits a client.
	ConsoleClientPage struct {
		CSRFToken, Notice string
		New               bool
		Client            ConsoleClientForm
		Errors            []string
		// Grants and AuthMethods are the choices of the form.
		Grants, AuthMethods []ConsoleOption
	}
	// ConsoleSecretPage is console_secret.html: a client secret, shown in
	// this answer only.
	ConsoleSecretPage struct{ ClientID, ClientName, Secret string }
	// ConsoleSessionsPage is console_sessions.html.
	ConsoleSessionsPage struct {
		CSRFToken, Notice string
		Next              template.URL
		Sessions          []ConsoleSession
	}
	// ConsoleAuditPage is console_audit.html: the filter form and a page of
	// events.
	ConsoleAuditPage struct {
		Type, Member, Client, Since, Until string
		Next                               template.URL
		Errors                             []string
		Types                              []string
		Events                             []ConsoleEvent
	}
	// ConsoleKeysPage is console_keys.html.
	ConsoleKeysPage struct {
		CSRFToken, Notice string
		Errors            []string
		Keys              []ConsoleKey
		Algorithms        []string
		ActivateAfter     string
	}
	// LoggedOutPage is loggedout.html.
	LoggedOutPage struct{ SignedOut bool }
	// errorPage is error.html: Reference is the request id the log line
	// of the failure carries; Back, when set, is a way back (BackLabel).
	errorPage struct {
		Title, Message, Code, Reference string
		Back, BackLabel                 string
	}
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

// ConsolePages are the admin console's templates.
type ConsolePages struct {
	Members, Member, Remove, Clients, Client, Secret, Sessions, Audit, Keys *template.Template
}

// ConsoleMemberForm is the member form's values, as submitted or stored.
type ConsoleMemberForm struct {
	ID, Email, Username, Name, Role string
	Disabled                        bool
	// Version is the member's UpdatedAt when the form was shown: a save
	// over a newer change is refused instead of undoing it.
	Version string
}

// ConsoleClientForm is the client form's values; the lists are one entry
// per line (URIs) or separated by spaces (scopes, audience).
type ConsoleClientForm struct {
	ID, Name, AuthMethod                       string
	RedirectURIs, PostLogoutRedirectURIs       string
	Scopes, Audience, BackchannelLogoutURI     string
	SkipConsent, RequirePAR, DPoPBound, Public bool
	Version                                    string
}

// ConsoleOption is one choice of a form: a checkbox or select option.
type ConsoleOption struct {
	Value   string
	Checked bool
}

// ConsoleSession is one row of the console's sessions page.
type ConsoleSession struct {
	Session     idp.Session
	MemberEmail string
}

// ConsoleEvent is one row of the console's audit page, Detail as JSON.
type ConsoleEvent struct {
	Event  idp.AuditEvent
	Detail string
}

// ConsoleKey is one row of the console's keys page.
type ConsoleKey struct {
	Key   idp.SigningKey
	State string
}

// ScopeInfo is one line of the consent page. ByClaims marks a scope the
// client did not list in scope but asked for through a claim it carries.
type ScopeInfo struct {
	Name, Description string
	ByClaims          bool
}

// ScopeDescriptions explain scopes on the consent page in plain words,
// in English: the page translates them. A scope without one is described
// as "use the … permission".
var ScopeDescriptions = map[string]string{
	idp.ScopeOpenID:        "sign you in",
	idp.ScopeProfile:       "see your name, username and profile (picture, website, gender, birthdate, time zone, language)",
	idp.ScopeEmail:         "see your email address",
	idp.ScopePhone:         "see your phone number",
	idp.ScopeAddress:       "see your postal address",
	idp.ScopeRoles:         "see your role",
	idp.ScopeOfflineAccess: "stay signed in when you are away",
}

// Render writes a page in the language of r (see Language): t is the
// English page, and the same page parsed in that language is executed.
// Rendering goes to a buffer first so a template error never leaves a
// half-written page.
func (k *Kit) Render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data any) {
	tag := Language(r)
	if pg := k.localized[tag]; pg != nil {
		if lt := pg.byName[t.Name()]; lt != nil {
			t = lt
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		k.cfg.Log.ErrorContext(r.Context(), "render page", "page", t.Name(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", tag.String())
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
