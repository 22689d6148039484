package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
)

// config is everything the API needs. Every flag has an API_* environment
// twin (--issuer and API_ISSUER).
type config struct {
	// Issuer is the provider's issuer URL; discovery at
	// Issuer + "/.well-known/openid-configuration" gives the JWKS.
	Issuer string
	// Audience must appear in every accepted token's "aud" claim
	// (RFC 9068 §4), so a token minted for another resource server is
	// refused here.
	Audience string
	Listen   string
	// URL is the API's public base URL, which DPoP proofs name in htu
	// (RFC 9449 §4.3); taken from configuration, never from the Host
	// header a client chooses.
	URL string
	// Realm names the protection space in WWW-Authenticate (RFC 6750 §3).
	Realm string
	// Leeway tolerates clock skew between the provider and the API when
	// checking exp, nbf and iat.
	Leeway time.Duration

	// HTTPClient fetches discovery and the JWKS; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock; tests move it.
	Now func() time.Time
}

// parseConfig reads flags, falling back to API_* environment variables.
func parseConfig(args []string) (config, error) {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.Issuer, "issuer", "http://localhost:8080", "issuer URL of the OpenID provider")
	fs.StringVar(&c.Audience, "audience", "demo-api", "audience this API requires in access tokens")
	fs.StringVar(&c.Listen, "listen", ":9090", "address to listen on")
	fs.StringVar(&c.URL, "url", "http://localhost:9090", "public base URL of this API, as DPoP proofs name it")
	fs.StringVar(&c.Realm, "realm", "demo-api", "realm reported in WWW-Authenticate")
	fs.DurationVar(&c.Leeway, "leeway", 30*time.Second, "allowed clock skew for exp, nbf and iat")
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("API")); err != nil {
		return config{}, err
	}
	return c, c.validate()
}

// validate reports every problem at once, naming the setting.
func (c config) validate() error {
	var errs []error
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--issuer/API_ISSUER: %q is not an absolute http(s) URL", c.Issuer))
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
		errs = append(errs, fmt.Errorf("--url/API_URL: %q is not an absolute http(s) URL without a path", c.URL))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("--audience/API_AUDIENCE: required"))
	}
	if c.Realm == "" || strings.ContainsAny(c.Realm, "\"\\\r\n") {
		errs = append(errs, errors.New("--realm/API_REALM: required, without quotes, backslashes or line breaks"))
	}
	if c.Leeway < 0 {
		errs = append(errs, errors.New("--leeway/API_LEEWAY: must not be negative"))
	}
	return errors.Join(errs...)
}

func (c config) withDefaults() config {
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.URL == "" {
		c.URL = "http://localhost:9090"
	}
	return c
}
