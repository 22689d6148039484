package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/idp/idp/provider/registration"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func (c *cli) registrationTokenCommand() *ffcli.Command {
	return c.group("registration-token", "idp registration-token create [flags]",
		"create initial access tokens for dynamic client registration (--registration token)",
		c.registrationTokenCreateCommand())
}

// registrationTokenConfig is the configuration of idp registration-token
// create.
type registrationTokenConfig struct {
	Database  string
	ExpiresIn time.Duration
}

// Validate reports every problem at once, naming the flag.
func (cfg registrationTokenConfig) Validate() error {
	var err error
	if cfg.ExpiresIn <= 0 {
		err = fmt.Errorf("%s: must be positive, got %v", option("expires-in"), cfg.ExpiresIn)
	}
	return errors.Join(checkDatabase(cfg.Database), err)
}

func (c *cli) registrationTokenCreateCommand() *ffcli.Command {
	var cfg registrationTokenConfig
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	databaseVar(fs, &cfg.Database)
	fs.DurationVar(&cfg.ExpiresIn, "expires-in", 24*time.Hour, "the token registers one client until this long from now")
	return c.command("create", "idp registration-token create [--expires-in 24h]",
		"print a new single-use initial access token (only its hash is stored)", fs,
		func(ctx context.Context) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			return withStore(ctx, cfg.Database, func(store *storage.Store) error {
				token, expires, err := registration.CreateInitialToken(ctx, store, time.Now(), cfg.ExpiresIn)
				if err != nil {
					return err
				}
				fmt.Fprintln(c.stdout, token)
				fmt.Fprintf(c.stderr, "registers one client at %s until %s; it is not shown again\n",
					registration.Path, expires.Format(time.RFC3339))
				return nil
			})
		})
}
