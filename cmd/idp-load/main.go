// Command idp-load measures a running provider the way its clients use it:
// client credentials, the authorization code exchange (after a real
// sign-in through the login form), refresh and introspection, each for a
// fixed duration at a fixed concurrency, one grant after the other so the
// rates compare. It prints requests per second, latency percentiles and
// errors per grant as a table, or as JSON with --json.
//
//	go run ./cmd/idp-load http://127.0.0.1:8080
//
// The defaults match examples/bootstrap.yaml (the demo clients and
// members). It refuses a target that is not on the loopback interface
// unless --allow-remote is given: load is an attack on someone else's
// server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Bounds on one run, whatever the flags ask.
const (
	maxDuration    = 10 * time.Minute
	maxConcurrency = 512
	// maxSamples bounds the latencies kept per grant (8 bytes each).
	maxSamples = 10_000_000
)

// config is the command's flags.
type config struct {
	target      string
	duration    time.Duration
	concurrency int
	requests    int
	grants      []string
	jsonOut     bool
	allowRemote bool
	timeout     time.Duration

	clientID, clientSecret   string // client credentials and introspection
	rpID, rpSecret, redirect string // code exchange and refresh
	scope                    string
	username, password       string
}

// grantNames are the grants in the order they run.
var grantNames = []string{"client_credentials", "authorization_code", "refresh_token", "introspection"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "idp-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if err := checkTarget(ctx, cfg.target, cfg.allowRemote); err != nil {
		return err
	}
	results, err := measure(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.jsonOut {
		return writeJSON(stdout, cfg, results)
	}
	writeTable(stdout, cfg, results)
	return nil
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("idp-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: idp-load [flags] ISSUER_URL")
		fs.PrintDefaults()
	}
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long each grant runs (at most 10m)")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "requests in flight per grant (at most 512)")
	fs.IntVar(&cfg.requests, "requests", 0, "stop a grant after this many requests (0: only the duration)")
	grants := fs.String("grants", strings.Join(grantNames, ","), "grants to run, comma-separated")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print JSON instead of a table")
	fs.BoolVar(&cfg.allowRemote, "allow-remote", false, "allow a target that is not on the loopback interface")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.StringVar(&cfg.clientID, "client-id", "demo-service", "client of the client_credentials grant and introspection")
	fs.StringVar(&cfg.clientSecret, "client-secret", envOr("IDP_LOAD_CLIENT_SECRET", "demo-service-secret"),
		"its secret (or IDP_LOAD_CLIENT_SECRET)")
	fs.StringVar(&cfg.rpID, "rp-client-id", "app-b", "client of the code exchange and refresh (must skip consent or have it remembered)")
	fs.StringVar(&cfg.rpSecret, "rp-client-secret", envOr("IDP_LOAD_RP_CLIENT_SECRET", "app-b-secret"),
		"its secret (or IDP_LOAD_RP_CLIENT_SECRET)")
	fs.StringVar(&cfg.redirect, "redirect-uri", "http://app-b.localhost:5556/callback", "its registered redirect URI")
	fs.StringVar(&cfg.scope, "scope", "openid offline_access", "scopes of the code flow (offline_access for refresh)")
	fs.StringVar(&cfg.username, "username", "alice", "member who signs in for the code flow")
	fs.StringVar(&cfg.password, "password", envOr("IDP_LOAD_PASSWORD", "alice-password"), "their password (or IDP_LOAD_PASSWORD)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return cfg, errors.New("want exactly one issuer URL")
	}
	cfg.target = strings.TrimSuffix(fs.Arg(0), "/")
	switch {
	case cfg.duration <= 0 || cfg.duration > maxDuration:
		return cfg, fmt.Errorf("--duration %v: want more than 0 and at most %v", cfg.duration, maxDuration)
	case cfg.concurrency < 1 || cfg.concurrency > maxConcurrency:
		return cfg, fmt.Errorf("--concurrency %d: want 1 to %d", cfg.concurrency, maxConcurrency)
	case cfg.requests < 0 || cfg.requests > maxSamples:
		return cfg, fmt.Errorf("--requests %d: want 0 to %d", cfg.requests, maxSamples)
	case cfg.timeout <= 0:
		return cfg, fmt.Errorf("--timeout %v: want more than 0", cfg.timeout)
	}
	for _, g := range strings.Split(*grants, ",") {
		g = strings.TrimSpace(g)
		if !contains(grantNames, g) {
			return cfg, fmt.Errorf("--grants: unknown grant %q (want some of %s)", g, strings.Join(grantNames, ", "))
		}
		if !contains(cfg.grants, g) {
			cfg.grants = append(cfg.grants, g)
		}
	}
	return cfg, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
