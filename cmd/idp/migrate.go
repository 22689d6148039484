package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func (c *cli) migrateCommand() *ffcli.Command {
	return c.group("migrate", "idp migrate <up|down|status> [flags]", "manage the database schema",
		c.migrateStep("up", "apply every pending migration", (*storage.Store).MigrateUp),
		c.migrateStep("down", "roll back the newest applied migration", (*storage.Store).MigrateDown),
		c.migrateStep("status", "list migrations, applied and pending", func(s *storage.Store, ctx context.Context) error {
			return s.MigrateStatus(ctx, c.stdout)
		}),
	)
}

// migrateStep returns a subcommand that opens the database without
// migrating it and runs step. Only up may create the database.
func (c *cli) migrateStep(name, help string, step func(*storage.Store, context.Context) error) *ffcli.Command {
	var dsn string
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	databaseVar(fs, &dsn)
	return c.serverCommand(name, "idp migrate "+name+" [--database DSN]", help, fs, func(ctx context.Context) error {
		if err := checkDatabase(dsn); err != nil {
			return err
		}
		if name != "up" {
			if err := requireDatabase(dsn); err != nil {
				return err
			}
		}
		store, err := storage.Open(ctx, dsn)
		if err != nil {
			return fmt.Errorf("open database: %w", err)
		}
		defer store.Close()
		if err := step(store, ctx); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		return nil
	})
}
