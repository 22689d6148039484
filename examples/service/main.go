// Command service is a demo machine client. It gets access tokens with the
// client credentials grant (RFC 6749 §4.4), with the token endpoint taken
// from discovery, and calls the demo API with them every few seconds,
// printing each answer.
//
//	go run ./examples/service --client-secret demo-service-secret --once
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/idp/idp/examples/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	var c *caller
	timeout := time.Minute
	if cfg.Once {
		timeout = 0 // one try: --once reports an unreachable provider at once
	}
	err = demo.Retry(ctx, slog.Default(), timeout, func() error {
		c, err = newCaller(ctx, cfg)
		return err
	})
	if err != nil {
		return err
	}
	return c.loop(ctx, cfg, os.Stdout)
}
