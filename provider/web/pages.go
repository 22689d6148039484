package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"

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
	Account, AccountEmail, Security, Passkeys *template.Template
	// Forgot asks for the address to send a reset link to; SetPassword
	// is where a reset or invitation link leads; VerifyEmail is where a
	// verification link leads.
	Forgot, SetPassword, VerifyEmail *template.Template
	// OTP asks for a second factor's code; OTPEnrol sets up an
	// authenticator app (in a flow or on the account page);
	// RecoveryCodes shows new recovery codes once.
	OTP, OTPEnrol, RecoveryCodes *template.Template
	errorPage                    *template.Template
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
		"passkeys.html": &p.Passkeys,
		"forgot.html":   &p.Forgot, "set_password.html": &p.SetPassword, "verify_email.html": &p.VerifyEmail,
		"otp.html": &p.OTP, "otp_enrol.html": &p.OTPEnrol, "recovery_codes.html": &p.RecoveryCodes,
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
	// AccountPage is account.html.
	AccountPage struct{ Name, Email, Username, CSRFToken string }
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
	// LoggedOutPage is loggedout.html.
	LoggedOutPage struct{ SignedOut bool }
	// errorPage is error.html: Reference is the request id the log line
	// of the failure carries; Back, when set, is a way back (BackLabel).
	errorPage struct {
		Title, Message, Code, Reference string
		Back, BackLabel                 string
	}
)

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
	idp.ScopeProfile:       "see your name and username",
	idp.ScopeEmail:         "see your email address",
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
