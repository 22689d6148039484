// Command api is a demo resource server. It accepts JWT access tokens
// (RFC 9068, signed RS256, ES256 or EdDSA) from the identity provider and checks them offline against the
// provider's JWKS: no call to the provider per request, no shared secret.
//
// GET /hello needs the api:read scope and the configured audience; failures
// answer with the RFC 6750 §3 WWW-Authenticate challenge.
//
//	go run ./examples/api --issuer http://localhost:8080 --audience demo-api
package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/idp/idp/examples/internal/demo"
)

func main() { demo.Main("api", run) }

func run(ctx context.Context, args []string, log *slog.Logger) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	cfg.Logger = log
	s, err := demo.Connect(ctx, log, func() (*server, error) { return newServer(ctx, cfg) })
	if err != nil {
		return err
	}
	log.Info("api listening", "addr", cfg.Listen, "issuer", cfg.Issuer, "audience", cfg.Audience)
	return demo.Serve(ctx, demo.Server(cfg.Listen, s, 10*time.Second))
}
