// Command service is a demo machine client. It gets access tokens with the
// client credentials grant (RFC 6749 §4.4), with the token endpoint taken
// from discovery, and calls the demo API with them every few seconds,
// printing each answer.
//
//	go run ./examples/service --client-secret demo-service-secret --once
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/idp/idp/examples/internal/demo"
)

func main() { demo.Main("service", run) }

func run(ctx context.Context, args []string, log *slog.Logger) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	if cfg.Once {
		return once(ctx, cfg, log, os.Stdout)
	}
	c, err := demo.Connect(ctx, log, func() (*caller, error) { return newCaller(ctx, cfg) })
	if err != nil {
		return err
	}
	return c.loop(ctx, cfg, os.Stdout)
}
