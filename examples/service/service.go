package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/idp/idp/examples/internal/demo"
	"github.com/peterbourgon/ff/v3"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// config is everything the service needs. Every flag has a SERVICE_*
// environment twin (--client-secret and SERVICE_CLIENT_SECRET).
type config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Scope is the space-separated scope requested with each token.
	Scope string
	// Audience, when set, is sent as the audience parameter; otherwise the
	// provider picks the client's first registered audience.
	Audience string
	APIURL   string
	Interval time.Duration
	// Once makes one call and reports its outcome in the exit status.
	Once bool
	// Wait bounds how long Once waits for the provider and the API to
	// accept connections, so the service can be started together with
	// them (the quick start runs the API in the background under go run,
	// which compiles it first).
	Wait time.Duration

	// HTTPClient talks to the provider and the API; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
}

// parseConfig reads flags, falling back to SERVICE_* environment variables.
func parseConfig(args []string) (config, error) {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.Issuer, "issuer", "http://localhost:8080", "issuer URL of the OpenID provider")
	fs.StringVar(&c.ClientID, "client-id", "demo-service", "OAuth client id")
	fs.StringVar(&c.ClientSecret, "client-secret", "", "OAuth client secret")
	fs.StringVar(&c.Scope, "scope", "api:read", "space-separated scopes to request")
	fs.StringVar(&c.Audience, "audience", "", "audience to request (default: the client's first)")
	fs.StringVar(&c.APIURL, "api-url", "http://localhost:9090/hello", "URL of the API to call")
	fs.DurationVar(&c.Interval, "interval", 5*time.Second, "time between calls")
	fs.BoolVar(&c.Once, "once", false, "call the API once and exit non-zero unless it answers 2xx")
	fs.DurationVar(&c.Wait, "wait", 2*time.Minute, "with --once, how long to wait for the provider and the API to accept connections")
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("SERVICE")); err != nil {
		return config{}, err
	}
	return c, c.validate()
}

// validate reports every problem at once, naming the setting. The secret's
// value is never echoed.
func (c config) validate() error {
	var errs []error
	for _, u := range []struct{ name, value string }{
		{"--issuer/SERVICE_ISSUER", c.Issuer}, {"--api-url/SERVICE_API_URL", c.APIURL},
	} {
		if p, err := url.Parse(u.value); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an absolute http(s) URL", u.name, u.value))
		}
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("--client-id/SERVICE_CLIENT_ID: required"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("--client-secret/SERVICE_CLIENT_SECRET: required"))
	}
	if c.Interval <= 0 {
		errs = append(errs, errors.New("--interval/SERVICE_INTERVAL: must be positive"))
	}
	if c.Wait < 0 {
		errs = append(errs, errors.New("--wait/SERVICE_WAIT: must not be negative"))
	}
	return errors.Join(errs...)
}

// caller calls the API with client-credentials tokens (RFC 6749 §4.4).
type caller struct {
	api    string
	client *http.Client
}

// newCaller discovers the token endpoint and returns a caller whose HTTP
// client fetches a token on first use and a new one shortly before the
// current one expires (x/oauth2 caches it).
func newCaller(ctx context.Context, cfg config) (*caller, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	base := cfg.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	ctx = oidc.ClientContext(ctx, base)
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", cfg.Issuer, err)
	}
	cc := clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     p.Endpoint().TokenURL,
		Scopes:       strings.Fields(cfg.Scope),
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	if cfg.Audience != "" {
		cc.EndpointParams = url.Values{"audience": {cfg.Audience}}
	}
	// The token source keeps this context for every later token request.
	ctx = context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, base)
	return &caller{api: cfg.APIURL, client: cc.Client(ctx)}, nil
}

// call makes one GET to the API and writes one line about it to out. It
// returns the response status, or an error when no response came (the token
// request failing included).
func (c *caller) call(ctx context.Context, out io.Writer) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api, nil)
	if err != nil {
		return 0, fmt.Errorf("call api: %w", err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("call api: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, fmt.Errorf("call api: read body: %w", err)
	}
	line := []string{"GET " + c.api + ":", resp.Status}
	if b := strings.TrimSpace(string(body)); b != "" {
		line = append(line, b)
	}
	if ch := resp.Header.Get("WWW-Authenticate"); ch != "" {
		line = append(line, "(WWW-Authenticate: "+ch+")")
	}
	fmt.Fprintln(out, strings.Join(line, " "))
	return resp.StatusCode, nil
}

// loop calls the API every interval until ctx ends, reporting failures
// without stopping. With once it calls once and fails unless the answer is
// 2xx.
func (c *caller) loop(ctx context.Context, cfg config, out io.Writer) error {
	for {
		status, err := c.call(ctx, out)
		if cfg.Once {
			if err == nil && (status < 200 || status > 299) {
				err = fmt.Errorf("call api: status %d", status)
			}
			return err
		}
		if err != nil {
			fmt.Fprintln(out, "error:", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(cfg.Interval):
		}
	}
}

// once discovers the provider and calls the API once, as loop does with
// cfg.Once, waiting up to cfg.Wait while the provider or the API refuses
// connections (still starting). Any answer, a refusal of the client or a
// 4xx from the API included, is final at once.
func once(ctx context.Context, cfg config, log *slog.Logger, out io.Writer) error {
	deadline := time.Now().Add(cfg.Wait)
	var c *caller
	err := demo.RetryWhile(ctx, log, cfg.Wait, demo.Unreachable, func() (err error) {
		c, err = newCaller(ctx, cfg)
		return err
	})
	if err != nil {
		return err
	}
	return demo.RetryWhile(ctx, log, time.Until(deadline), demo.Unreachable, func() error {
		return c.loop(ctx, cfg, out)
	})
}
