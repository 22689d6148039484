package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"
)

// readyPath is what idp healthcheck asks by default: the provider answers
// 200 there only when it can serve sign-ins (the store answers, a signing
// key is loaded).
const readyPath = "/readyz"

// defaultHealthTimeout bounds one check; a container runtime's own
// healthcheck timeout should be longer, so the command, not the runtime,
// reports the failure.
const defaultHealthTimeout = 5 * time.Second

// healthcheckConfig is the configuration of idp healthcheck.
type healthcheckConfig struct {
	URL     string
	Listen  string
	Timeout time.Duration
}

// target returns the URL to check: --url, else readyPath on the address
// serve listens on, with a wildcard host replaced by the loopback address,
// since the check runs beside the server (a distroless image has no shell
// or curl to do it).
func (cfg healthcheckConfig) target() (string, error) {
	if cfg.URL != "" {
		u, err := url.Parse(cfg.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("%s: %q is not an absolute http(s) URL", option("url"), cfg.URL)
		}
		return cfg.URL, nil
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return "", fmt.Errorf("%s: %q: want host:port or :port", setting("listen"), cfg.Listen)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + readyPath, nil
}

func (c *cli) healthcheckCommand() *ffcli.Command {
	var cfg healthcheckConfig
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.StringVar(&cfg.URL, "url", "", "URL to check (default: "+readyPath+" on the --listen address)")
	fs.StringVar(&cfg.Listen, "listen", ":8080", "address serve listens on")
	fs.DurationVar(&cfg.Timeout, "timeout", defaultHealthTimeout, "give up after this long")
	onlyListen := func(flag string) bool { return flag == "listen" }
	return c.leaf("healthcheck", "idp healthcheck [--url URL | --listen ADDR] [--timeout D]",
		"exit 0 when the provider answers 200 at /readyz, non-zero otherwise (for container healthchecks)",
		fs, onlyListen, func(ctx context.Context) error {
			target, err := cfg.target()
			if err != nil {
				return err
			}
			if cfg.Timeout <= 0 {
				return fmt.Errorf("%s: must be positive, got %v", option("timeout"), cfg.Timeout)
			}
			status, err := check(ctx, target, cfg.Timeout)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			fmt.Fprintf(c.stdout, "%s: %s\n", target, status)
			return nil
		})
}

// errUnhealthy means the provider answered, but not 200.
var errUnhealthy = errors.New("not healthy")

// check GETs target and returns its status when it is 200. It uses no
// proxy from the environment and follows no redirect: the answer must come
// from the provider itself.
func check(ctx context.Context, target string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", target, err)
	}
	client := &http.Client{
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", target, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %w", target, resp.Status, errUnhealthy)
	}
	return resp.Status, nil
}
