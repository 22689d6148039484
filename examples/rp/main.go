// Command rp is a demo web application that signs members in through the
// identity provider with OpenID Connect: discovery, the authorization code
// flow with PKCE, ID token verification through the JWKS, userinfo, token
// refresh, RP-initiated logout and back-channel logout. Run two instances
// under different client ids to see single sign-on and single logout.
//
//	go run ./examples/rp --client-id app-a --client-secret app-a-secret \
//		--public-url http://app-a.localhost:5555 --listen :5555 --title "App A"
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
		fmt.Fprintln(os.Stderr, "rp:", err)
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
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
	}
	cfg.Logger.Info("rp listening", "addr", cfg.Listen, "public_url", cfg.PublicURL, "client_id", cfg.ClientID, "issuer", cfg.Issuer)
	return demo.Serve(ctx, srv)
}
