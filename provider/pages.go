package provider

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/idp/idp"
	"github.com/idp/idp/templates"
)

// pages holds the parsed templates; parsing once at start makes a broken
// page a start-up error instead of a failed login.
type pages struct {
	login, consent, logout, loggedOut, errorPage *template.Template
	// formPost is fosite's form_post response page; it stands alone, as
	// fosite executes it with its own data.
	formPost *template.Template
}

func parsePages() (*pages, error) {
	parse := func(name string) (*template.Template, error) {
		t, err := template.ParseFS(templates.FS, "layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		return t.Lookup(name), nil
	}
	var p pages
	var err error
	for name, dst := range map[string]**template.Template{
		"login.html": &p.login, "consent.html": &p.consent, "logout.html": &p.logout,
		"loggedout.html": &p.loggedOut, "error.html": &p.errorPage,
	} {
		if *dst, err = parse(name); err != nil {
			return nil, err
		}
	}
	if p.formPost, err = template.ParseFS(templates.FS, "form_post.html"); err != nil {
		return nil, fmt.Errorf("template form_post.html: %w", err)
	}
	return &p, nil
}

// Data of each page.
type (
	loginPage struct {
		ClientName, FlowID, CSRFToken, Username, Error string
	}
	consentPage struct {
		ClientName, MemberName, FlowID, CSRFToken string
		Scopes                                    []scopeInfo
	}
	logoutPage struct {
		MemberName, ClientName, CSRFToken, Flow string
	}
	loggedOutPage struct{ SignedOut bool }
	errorPage     struct{ Title, Message, Code string }
)

// scopeInfo is one line of the consent page. ByClaims marks a scope the
// client did not list in scope but asked for through a claim it carries.
type scopeInfo struct {
	Name, Description string
	ByClaims          bool
}

// scopeDescriptions explain scopes on the consent page in plain words.
var scopeDescriptions = map[string]string{
	idp.ScopeOpenID:        "sign you in",
	idp.ScopeProfile:       "see your name and username",
	idp.ScopeEmail:         "see your email address",
	idp.ScopeRoles:         "see your role",
	idp.ScopeOfflineAccess: "stay signed in when you are away",
}

// render writes a page; it renders into a buffer first so a template error
// never leaves a half-written page.
func (p *Provider) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		p.log.Error("render page", "page", t.Name(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
