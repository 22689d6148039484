// Command api is a demo resource server. It accepts RS256 JWT access tokens
// (RFC 9068) from the identity provider and checks them offline against the
// provider's JWKS: no call to the provider per request, no shared secret.
//
// GET /hello needs the api:read scope and the configured audience; failures
// answer with the RFC 6750 §3 WWW-Authenticate challenge.
//
//	go run ./examples/api --issuer http://localhost:8080 --audience demo-api
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
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
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	var s *server
	err = demo.Retry(ctx, cfg.Logger, time.Minute, func() error {
		s, err = newServer(ctx, cfg)
		return err
	})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.Listen,
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	cfg.Logger.Info("api listening", "addr", cfg.Listen, "issuer", cfg.Issuer, "audience", cfg.Audience)
	return demo.Serve(ctx, srv)
}
