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
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
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
	deadline := time.Now().Add(time.Minute)
	for {
		// The provider may still be starting (docker compose).
		if s, err = newServer(ctx, cfg); err == nil || time.Now().After(deadline) {
			break
		}
		cfg.Logger.Warn("provider not reachable yet, retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
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
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
