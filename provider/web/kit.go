// Package web is the browser side of the provider: cookies, CSRF tokens,
// browser sessions, the client's address behind trusted proxies, page
// parsing and rendering with one table of page errors, and the sign-in
// throttle. The login flow (authflow) and the logout endpoint (provider)
// build on it; it imports fosite only to show and log its errors.
package web

import (
	"context"
	"html/template"
	"io/fs"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/templates"
	"golang.org/x/text/language"
)

// Config is what the kit needs; every field is the provider's setting of
// the same name, already defaulted and validated.
type Config struct {
	Issuer       string
	CookieDomain string
	Store        *storage.Store
	Log          *slog.Logger
	Now          func() time.Time
	// CSRFKey keys the HMAC of form tokens (keys.PurposeCSRF).
	CSRFKey            []byte
	SessionIdleTimeout time.Duration
	SessionLifetime    time.Duration
	TrustedProxies     []netip.Prefix
	// EndSession ends a session as a logout does (sessions.End and a
	// wake-up of the back-channel notifier): an expired session found
	// on a request, or another member's, is ended that way.
	EndSession func(ctx context.Context, s idp.Session) error
	// Brand is the organisation every page shows.
	Brand Brand
	// TemplatesDir, when set, holds files that replace the embedded
	// templates of the same name; the others stay embedded.
	TemplatesDir string
}

// Kit is the browser plumbing shared by every page handler.
type Kit struct {
	cfg Config
	// Pages are the parsed templates, in English; handlers name these and
	// Render picks the same page in the request's language.
	Pages *Pages
	// localized holds the pages of every shipped language.
	localized map[language.Tag]*Pages
	// files are the templates and static files: the embedded ones, under
	// the overrides of TemplatesDir.
	files fs.FS
}

// New parses the pages, once per language, and returns the kit; a broken
// page is an error here, at start-up, not at the first login, and a broken
// override in TemplatesDir is named by its path.
func New(cfg Config) (*Kit, error) {
	k := &Kit{cfg: cfg, files: templates.FS, localized: map[language.Tag]*Pages{}}
	if cfg.TemplatesDir != "" {
		o, err := newOverlay(cfg.TemplatesDir, templates.FS)
		if err != nil {
			return nil, err
		}
		if err := o.check(k.funcs(Languages[0])); err != nil {
			return nil, err
		}
		k.files = o
	}
	for _, tag := range Languages {
		pg, err := parsePages(k.files, k.funcs(tag))
		if err != nil {
			return nil, err
		}
		k.localized[tag] = pg
	}
	k.Pages = k.localized[Languages[0]]
	return k, nil
}

// Static is the file system the provider serves /static/ from: the
// stylesheet and scripts, overridable like the pages.
func (k *Kit) Static() fs.FS { return k.files }

// funcs are the template functions of the pages in language tag: t
// translates a message (formatting its arguments into it, escaped by the
// template like any value), lang is the page's language tag and brand the
// organisation's name and whether it has a logo.
func (k *Kit) funcs(tag language.Tag) template.FuncMap {
	cat := catalogs[tag]
	lang := tag.String()
	b := brandView{Name: k.cfg.Brand.Name, Logo: len(k.cfg.Brand.Logo) > 0}
	return template.FuncMap{
		"t":     func(key string, args ...any) string { return translate(cat, key, args...) },
		"lang":  func() string { return lang },
		"brand": func() brandView { return b },
	}
}

// brandView is what the layout shows of the Brand.
type brandView struct {
	Name string
	Logo bool
}

func (k *Kit) secureCookies() bool { return strings.HasPrefix(k.cfg.Issuer, "https://") }
