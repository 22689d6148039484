package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
)

// config is everything the relying party needs. Every flag has an RP_*
// environment twin (--client-secret and RP_CLIENT_SECRET).
type config struct {
	// Issuer is the provider's issuer URL; everything else about the
	// provider comes from its discovery document.
	Issuer       string
	ClientID     string
	ClientSecret string
	// PublicURL is where browsers reach this app, without a path. The
	// redirect URI is PublicURL + "/callback", the post-logout redirect URI
	// PublicURL + "/" and the back-channel logout URI
	// PublicURL + "/backchannel-logout"; all three must be registered.
	PublicURL string
	Listen    string
	// Title is shown on every page, so two instances can be told apart.
	Title string
	// Scopes are requested at every login.
	Scopes []string
	// SessionLifetime ends a local session this long after sign-in.
	SessionLifetime time.Duration

	// HTTPClient talks to the provider; nil means http.DefaultClient.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock; tests move it.
	Now func() time.Time
}

// parseConfig reads flags, falling back to RP_* environment variables.
func parseConfig(args []string) (config, error) {
	fs := flag.NewFlagSet("rp", flag.ContinueOnError)
	var c config
	var scopes string
	fs.StringVar(&c.Issuer, "issuer", "http://localhost:8080", "issuer URL of the OpenID provider")
	fs.StringVar(&c.ClientID, "client-id", "demo-rp", "OAuth client id")
	fs.StringVar(&c.ClientSecret, "client-secret", "", "OAuth client secret (empty for a public client)")
	fs.StringVar(&c.Listen, "listen", ":5555", "address to listen on")
	fs.StringVar(&c.PublicURL, "public-url", "http://localhost:5555", "URL browsers reach this app at")
	fs.StringVar(&c.Title, "title", "", "page title (default: the client id)")
	fs.StringVar(&scopes, "scopes", "openid profile email roles offline_access", "space-separated scopes to request")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", 12*time.Hour, "how long a local session lasts")
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("RP")); err != nil {
		return config{}, err
	}
	c.Scopes = strings.Fields(scopes)
	return c, c.validate()
}

// validate reports every problem at once, naming the setting. The secret's
// value is never echoed.
func (c config) validate() error {
	var errs []error
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--issuer/RP_ISSUER: %q is not an absolute http(s) URL", c.Issuer))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("--public-url/RP_PUBLIC_URL: %q is not an absolute http(s) URL without path, query or fragment", c.PublicURL))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("--client-id/RP_CLIENT_ID: required"))
	}
	if !slices.Contains(c.Scopes, "openid") {
		errs = append(errs, errors.New("--scopes/RP_SCOPES: must include openid"))
	}
	if c.SessionLifetime <= 0 {
		errs = append(errs, errors.New("--session-lifetime/RP_SESSION_LIFETIME: must be positive"))
	}
	return errors.Join(errs...)
}

func (c config) withDefaults() config {
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if c.Title == "" {
		c.Title = c.ClientID
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"openid", "profile", "email", "roles", "offline_access"}
	}
	if c.SessionLifetime == 0 {
		c.SessionLifetime = 12 * time.Hour
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
