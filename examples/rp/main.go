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
	"log/slog"
	"time"

	"github.com/idp/idp/examples/internal/demo"
)

func main() { demo.Main("rp", run) }

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
	log.Info("rp listening", "addr", cfg.Listen, "public_url", cfg.PublicURL, "client_id", cfg.ClientID, "issuer", cfg.Issuer)
	return demo.Serve(ctx, demo.Server(cfg.Listen, s, 30*time.Second))
}
