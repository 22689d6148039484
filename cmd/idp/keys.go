package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func (c *cli) keysCommand() *ffcli.Command {
	return c.group("keys", "idp keys <rotate|list|remove> [flags]", "manage token signing keys",
		c.keysRotateCommand(), c.keysListCommand(), c.keysRemoveCommand())
}

// keyRotateConfig is the configuration of idp keys rotate.
type keyRotateConfig struct {
	Database      string
	Secret        string
	ActivateAfter time.Duration
	// Algorithm is the algorithm whose key is rotated; each has its own.
	Algorithm string
}

// Validate reports every problem at once, naming the flag.
func (cfg keyRotateConfig) Validate() error {
	var err error
	if !keys.Supported(cfg.Algorithm) {
		err = fmt.Errorf("%s: %q is not one of %s", option("alg"), cfg.Algorithm, strings.Join(keys.Algorithms, ", "))
	}
	if cfg.ActivateAfter < 0 {
		err = errors.Join(err, fmt.Errorf("%s: must not be negative", option("activate-after")))
	} else if cfg.ActivateAfter < keys.MinActivateAfter {
		err = errors.Join(err, fmt.Errorf("%s: must be at least %s, so every replica reloads its keys (every %s) and every cached JWKS (max-age %s) expires before the new key signs",
			option("activate-after"), keys.MinActivateAfter, keys.ReloadInterval, keys.JWKSMaxAge))
	}
	return errors.Join(checkDatabase(cfg.Database), checkSecret(cfg.Secret, cfg.Database), err)
}

func (c *cli) keysRotateCommand() *ffcli.Command {
	var cfg keyRotateConfig
	fs := flag.NewFlagSet("rotate", flag.ContinueOnError)
	databaseVar(fs, &cfg.Database)
	fs.StringVar(&cfg.Secret, "secret", "", secretFlagUsage)
	fs.DurationVar(&cfg.ActivateAfter, "activate-after", 2*time.Minute,
		"publish the new key now, sign with it after this long (at least "+keys.MinActivateAfter.String()+"), so every replica's JWKS lists it first")
	fs.StringVar(&cfg.Algorithm, "alg", keys.RS256,
		"algorithm of the key to rotate: "+strings.Join(keys.Algorithms, ", ")+" (each has its own active key)")
	return c.command("rotate", "idp keys rotate [--alg RS256] [--activate-after 2m]", "add a new signing key", fs,
		func(ctx context.Context) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			if err := requireDatabase(cfg.Database); err != nil {
				return err
			}
			secret, err := existingSecret(cfg.Secret, cfg.Database)
			if err != nil {
				return err
			}
			return withStore(ctx, cfg.Database, func(store *storage.Store) error {
				var key idp.SigningKey
				err := store.InTx(ctx, func(ctx context.Context) error {
					var err error
					if key, err = keys.Rotate(ctx, store, secret, cfg.Algorithm, time.Now(), cfg.ActivateAfter); err != nil {
						return err
					}
					return recorder(store).Record(ctx, idp.AuditEvent{
						Type: idp.AuditKeyRotated, Actor: actorCLI,
						Detail: map[string]any{"kid": key.ID, "active_at": key.ActiveAt.Format(time.RFC3339)},
					})
				})
				if errors.Is(err, keys.ErrWrongSecret) {
					return fmt.Errorf("%s: %w; nothing was written", setting("secret"), err)
				}
				if err != nil {
					return fmt.Errorf("rotate key: %w", err)
				}
				fmt.Fprintf(c.stdout, "added key %s, signing from %s (%s)\n", key.ID, key.ActiveAt.Format(time.RFC3339), key.Algorithm)
				return nil
			})
		})
}

func (c *cli) keysListCommand() *ffcli.Command {
	return c.listCommand("idp keys list [--json]", "list signing keys, newest first, with their state", func(ctx context.Context, store *storage.Store) (listing, error) {
		list, err := store.Keys.List(ctx)
		if err != nil {
			return listing{}, fmt.Errorf("list keys: %w", err)
		}
		now := time.Now()
		states, superseded := keys.States(list, now), keys.Superseded(list, now)
		l := listing{header: []string{"KID", "STATE", "ALGORITHM", "CREATED", "ACTIVE AT", "SUPERSEDED AT"}}
		items := make([]keyJSON, 0, len(list))
		for i, k := range list {
			item := keyJSON{ID: k.ID, State: string(states[i]), Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, ActiveAt: k.ActiveAt}
			until := "-"
			if !superseded[i].IsZero() {
				item.SupersededAt, until = &superseded[i], timestamp(superseded[i])
			}
			l.rows = append(l.rows, []string{k.ID, item.State, k.Algorithm, timestamp(k.CreatedAt), timestamp(k.ActiveAt), until})
			items = append(items, item)
		}
		l.items = items
		return l, nil
	})
}

// keyJSON is a signing key in idp keys list --json: never the sealed key.
// State is "next" (published, signing from active_at), "active" (signing
// now) or "retiring" (published until the tokens it signed before
// superseded_at have expired).
type keyJSON struct {
	ID           string     `json:"kid"`
	State        string     `json:"state"`
	Algorithm    string     `json:"algorithm"`
	CreatedAt    time.Time  `json:"created_at"`
	ActiveAt     time.Time  `json:"active_at"`
	SupersededAt *time.Time `json:"superseded_at,omitempty"`
}

// keysRemoveCommand drops a signing key, such as one that does not open
// with the system secret. The active key is refused. The key ID may be
// given as --kid or as the only argument; since a kid may begin with '-',
// --kid (or "--" before the argument) is the safe spelling.
func (c *cli) keysRemoveCommand() *ffcli.Command {
	var dsn, kid string
	fs := flag.NewFlagSet("remove", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	fs.StringVar(&kid, "kid", "", "ID of the key to remove (see idp keys list)")
	fs.SetOutput(c.usage)
	describeEnv(fs, sharedTwins)
	return &ffcli.Command{
		Name: "remove", ShortUsage: "idp keys remove [--database DSN] (--kid KID | -- KID)",
		ShortHelp: "remove a signing key that is not the active one", FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if kid == "" && len(args) == 1 {
				kid, args = args[0], nil
			}
			if kid == "" || len(args) > 0 {
				return fmt.Errorf("remove: give exactly one key ID, as %s KID or after --", option("kid"))
			}
			if err := applyEnv(fs, sharedTwins, c.getenv); err != nil {
				return fmt.Errorf("remove: %w", err)
			}
			if err := checkDatabase(dsn); err != nil {
				return err
			}
			return withStore(ctx, dsn, func(store *storage.Store) error {
				err := store.InTx(ctx, func(ctx context.Context) error {
					if err := keys.Remove(ctx, store, kid, time.Now()); err != nil {
						return err
					}
					return recorder(store).Record(ctx, idp.AuditEvent{Type: idp.AuditKeyRemoved, Actor: actorCLI,
						Detail: map[string]any{"kid": kid}})
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "removed key %s\n", kid)
				return nil
			})
		},
	}
}
