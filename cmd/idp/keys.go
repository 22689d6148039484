package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func (c *cli) keysCommand() *ffcli.Command {
	return c.group("keys", "idp keys <rotate|list> [flags]", "manage token signing keys",
		c.keysRotateCommand(), c.keysListCommand())
}

// keyRotateConfig is the configuration of idp keys rotate.
type keyRotateConfig struct {
	Database      string
	Secret        string
	ActivateAfter time.Duration
}

// Validate reports every problem at once, naming the flag.
func (cfg keyRotateConfig) Validate() error {
	var err error
	if cfg.ActivateAfter < 0 {
		err = fmt.Errorf("%s: must not be negative", setting("activate-after"))
	}
	return errors.Join(checkDatabase(cfg.Database), checkSecret(cfg.Secret, cfg.Database), err)
}

func (c *cli) keysRotateCommand() *ffcli.Command {
	var cfg keyRotateConfig
	fs := flag.NewFlagSet("rotate", flag.ContinueOnError)
	databaseVar(fs, &cfg.Database)
	fs.StringVar(&cfg.Secret, "secret", "", secretFlagUsage)
	fs.DurationVar(&cfg.ActivateAfter, "activate-after", 2*time.Minute,
		"publish the new key now, sign with it after this long, so every replica's JWKS lists it first")
	return c.command("rotate", "idp keys rotate [--activate-after 2m]", "add a new signing key", fs,
		func(ctx context.Context) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(c.stderr, nil))
			secret, err := resolveSecret(cfg.Secret, cfg.Database, log)
			if err != nil {
				return err
			}
			return withStore(ctx, cfg.Database, func(store *storage.Store) error {
				key, err := provider.RotateKey(ctx, store, secret, cfg.ActivateAfter)
				if err != nil {
					return fmt.Errorf("rotate key: %w", err)
				}
				fmt.Fprintf(c.stdout, "added key %s, signing from %s\n", key.ID, key.ActiveAt.Format(time.RFC3339))
				return nil
			})
		})
}

func (c *cli) keysListCommand() *ffcli.Command {
	var dsn string
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	return c.command("list", "idp keys list", "list signing keys, newest first", fs, func(ctx context.Context) error {
		if err := checkDatabase(dsn); err != nil {
			return err
		}
		return withStore(ctx, dsn, func(store *storage.Store) error {
			keys, err := store.Keys.List(ctx)
			if err != nil {
				return fmt.Errorf("list keys: %w", err)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KID\tALGORITHM\tCREATED\tACTIVE AT")
			for _, k := range keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Algorithm,
					k.CreatedAt.Format(time.RFC3339), k.ActiveAt.Format(time.RFC3339))
			}
			return tw.Flush()
		})
	})
}
