// Command idp-attack measures the provider's memory under the cheap,
// unauthenticated attacks an identity provider must survive: it starts
// `idp serve` with the demo bootstrap on a loopback port and a fresh SQLite
// file for each attack, reads the server's resident set size (VmRSS in
// /proc/PID/status, so Linux only) at idle, at its peak under the attack,
// right after and once things have settled, and prints one line per
// measurement.
//
//	go build -o /tmp/idp ./cmd/idp
//	go run ./cmd/idp-attack -idp /tmp/idp -bootstrap examples/bootstrap.yaml
//
// It talks only to the server it started, on 127.0.0.1.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is the command's flags.
type config struct {
	idp       string
	bootstrap string
	only      string
	serverLog bool
	conc      int
	rounds    int
	hugeCount int
	hugeSize  int
	settle    time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "idp-attack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("idp-attack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.idp, "idp", "idp", "path of the idp binary to start")
	fs.StringVar(&cfg.bootstrap, "bootstrap", "examples/bootstrap.yaml", "bootstrap file the server starts with")
	fs.StringVar(&cfg.only, "only", "", "run only the attacks whose names contain this (secrets, sign-ins, usernames)")
	fs.BoolVar(&cfg.serverLog, "server-log", false, "pass the server's log through to standard error")
	fs.IntVar(&cfg.conc, "concurrency", 200, "requests in flight during each attack")
	fs.IntVar(&cfg.rounds, "rounds", 3, "waves of concurrent requests per attack")
	fs.IntVar(&cfg.hugeCount, "huge-logins", 1000, "failed sign-ins with huge usernames")
	fs.IntVar(&cfg.hugeSize, "huge-size", 1<<20, "bytes of each huge username")
	fs.DurationVar(&cfg.settle, "settle", 30*time.Second, "wait before the last measurement of each attack (the throttle window is 15m)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	steps := []step{
		{"secrets", fmt.Sprintf("%d concurrent wrong client_credentials secrets", cfg.conc), wrongSecrets},
		{"sign-ins", fmt.Sprintf("%d concurrent wrong sign-ins", cfg.conc), wrongLogins},
		{"usernames", fmt.Sprintf("%d failed sign-ins with %d KiB usernames", cfg.hugeCount, cfg.hugeSize>>10), hugeLogins},
	}
	for _, s := range steps {
		if !strings.Contains(s.key, cfg.only) {
			continue
		}
		if err := measure(ctx, cfg, s, stdout, stderr); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// step is one attack.
type step struct {
	key, name string
	fn        func(context.Context, *server, config) (string, error)
}

// measure runs one attack against a fresh server, so each figure is the
// attack's own: RSS at idle, the peak during the attack, right after it,
// and after cfg.settle.
func measure(ctx context.Context, cfg config, s step, out, stderr io.Writer) error {
	if !cfg.serverLog {
		stderr = io.Discard
	}
	srv, err := start(ctx, cfg.idp, cfg.bootstrap, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintf(out, "%s:\n", s.name)
	report := func(what string) error {
		rss, err := srv.rss()
		if err == nil {
			fmt.Fprintf(out, "  %-28s %7.1f MB\n", what, float64(rss)/1e6)
		}
		return err
	}
	time.Sleep(2 * time.Second)
	if err := report("idle after start"); err != nil {
		return err
	}
	peak, answers, err := srv.peakDuring(ctx, func(ctx context.Context) (string, error) { return s.fn(ctx, srv, cfg) })
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  %-28s %7.1f MB   (answers: %s)\n", "peak under attack", float64(peak)/1e6, answers)
	if err := report("right after"); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(cfg.settle):
	}
	return report(fmt.Sprintf("%v later", cfg.settle))
}
