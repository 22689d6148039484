// Package web is the browser side of the provider: cookies, CSRF tokens,
// browser sessions, the client's address behind trusted proxies, page
// parsing and rendering with one table of page errors, and the sign-in
// throttle. The login flow (authflow) and the logout endpoint (provider)
// build on it; it imports fosite only to show and log its errors.
package web

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
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
}

// Kit is the browser plumbing shared by every page handler.
type Kit struct {
	cfg Config
	// Pages are the parsed templates.
	Pages *Pages
}

// New parses the pages and returns the kit; a broken page is an error
// here, at start-up, not at the first login.
func New(cfg Config) (*Kit, error) {
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Kit{cfg: cfg, Pages: pg}, nil
}

func (k *Kit) secureCookies() bool { return strings.HasPrefix(k.cfg.Issuer, "https://") }
