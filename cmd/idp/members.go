package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/idp/idp"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func (c *cli) membersCommand() *ffcli.Command {
	return c.group("members", "idp members <add|list|set-password|remove> [flags]", "manage the people who sign in",
		c.membersAddCommand(), c.membersListCommand(), c.membersSetPasswordCommand(), c.membersRemoveCommand())
}

// memberAddConfig is the configuration of idp members add.
type memberAddConfig struct {
	Database, Email, Username, Name, Role string
}

// Validate reports every problem with the flags at once.
func (cfg memberAddConfig) Validate() error {
	return errors.Join(append(checkMember(cfg.member(), option), checkDatabase(cfg.Database))...)
}

func (cfg memberAddConfig) member() idp.Member {
	return idp.Member{Email: cfg.Email, Username: cfg.Username, Name: cfg.Name, Role: idp.Role(cfg.Role)}
}

func (c *cli) membersAddCommand() *ffcli.Command {
	var cfg memberAddConfig
	fs := flag.NewFlagSet("add", flag.ContinueOnError)
	databaseVar(fs, &cfg.Database)
	fs.StringVar(&cfg.Email, "email", "", "email address, unique")
	fs.StringVar(&cfg.Username, "username", "", "username, unique")
	fs.StringVar(&cfg.Name, "name", "", "display name")
	fs.StringVar(&cfg.Role, "role", string(idp.RoleMember), "role: admin or member")
	return c.command("add", "idp members add --email E --username U --name N [--role R] < password",
		"add a member; the password is read from standard input or prompted for", fs,
		func(ctx context.Context) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			m := cfg.member()
			if err := c.readPassword(&m); err != nil {
				return err
			}
			return withStore(ctx, cfg.Database, func(store *storage.Store) error {
				if err := store.Members.Create(ctx, &m); err != nil {
					return fmt.Errorf("add member: %w", err)
				}
				fmt.Fprintf(c.stdout, "added member %s (%s)\n", m.ID, m.Email)
				return nil
			})
		})
}

// readPassword reads a new password for m and stores its hash in m.
func (c *cli) readPassword(m *idp.Member) error {
	pw, err := readSecret(c.stdin, c.stderr, "password")
	if err != nil {
		return err
	}
	if err := checkPassword(pw, "password"); err != nil {
		return err
	}
	m.PasswordHash, err = password.Hash(pw)
	return err
}

func (c *cli) membersListCommand() *ffcli.Command {
	var dsn string
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	return c.command("list", "idp members list", "list members", fs, func(ctx context.Context) error {
		if err := checkDatabase(dsn); err != nil {
			return err
		}
		return withStore(ctx, dsn, func(store *storage.Store) error {
			members, err := store.Members.List(ctx)
			if err != nil {
				return fmt.Errorf("list members: %w", err)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tUSERNAME\tNAME\tROLE")
			for _, m := range members {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.Email, m.Username, m.Name, m.Role)
			}
			return tw.Flush()
		})
	})
}

// memberSelector names one member by email or username.
type memberSelector struct {
	Database, Email, Username string
}

func (sel *memberSelector) register(fs *flag.FlagSet) {
	databaseVar(fs, &sel.Database)
	fs.StringVar(&sel.Email, "email", "", "the member's email")
	fs.StringVar(&sel.Username, "username", "", "the member's username")
}

// Validate requires exactly one of --email and --username.
func (sel memberSelector) Validate() error {
	var err error
	if (sel.Email == "") == (sel.Username == "") {
		err = fmt.Errorf("%s or %s: give exactly one", option("email"), option("username"))
	}
	return errors.Join(checkDatabase(sel.Database), err)
}

// memberCommand returns a command that finds the member the flags select
// and runs fn on them.
func (c *cli) memberCommand(name, usage, help string, fn func(context.Context, *storage.Store, idp.Member) error) *ffcli.Command {
	var sel memberSelector
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	sel.register(fs)
	return c.command(name, usage, help, fs, func(ctx context.Context) error {
		if err := sel.Validate(); err != nil {
			return err
		}
		return withStore(ctx, sel.Database, func(store *storage.Store) error {
			m, err := sel.find(ctx, store)
			if err != nil {
				return fmt.Errorf("find member: %w", err)
			}
			return fn(ctx, store, m)
		})
	})
}

func (sel memberSelector) find(ctx context.Context, store *storage.Store) (idp.Member, error) {
	if sel.Email != "" {
		return store.Members.ByEmail(ctx, sel.Email)
	}
	return store.Members.ByUsername(ctx, sel.Username)
}

// membersSetPasswordCommand replaces a member's password. Whoever knew the
// old one may hold a session or a refresh token obtained with it, so by
// default the change ends every session of the member (queuing their
// back-channel logouts for the running provider) and revokes their
// refresh tokens, in the transaction that stores the new password.
func (c *cli) membersSetPasswordCommand() *ffcli.Command {
	var sel memberSelector
	var keep bool
	fs := flag.NewFlagSet("set-password", flag.ContinueOnError)
	sel.register(fs)
	fs.BoolVar(&keep, "keep-sessions", false, "leave the member's sessions and refresh tokens alive")
	return c.command("set-password", "idp members set-password (--email E | --username U) [--keep-sessions] < password",
		"replace a member's password, ending their sessions", fs, func(ctx context.Context) error {
			if err := sel.Validate(); err != nil {
				return err
			}
			return withStore(ctx, sel.Database, func(store *storage.Store) error {
				m, err := sel.find(ctx, store)
				if err != nil {
					return fmt.Errorf("find member: %w", err)
				}
				if err := c.readPassword(&m); err != nil {
					return err
				}
				var ended int
				err = store.InTx(ctx, func(ctx context.Context) error {
					if err := store.Members.Update(ctx, m); err != nil {
						return err
					}
					if keep {
						return nil
					}
					ended, err = provider.EndMemberSessions(ctx, store, m.ID)
					return err
				})
				if err != nil {
					return fmt.Errorf("set password: %w", err)
				}
				fmt.Fprintf(c.stdout, "password set for %s (%s)", m.ID, m.Email)
				if !keep {
					fmt.Fprintf(c.stdout, "; %d sessions ended and refresh tokens revoked", ended)
				}
				fmt.Fprintln(c.stdout)
				return nil
			})
		})
}

func (c *cli) membersRemoveCommand() *ffcli.Command {
	return c.memberCommand("remove", "idp members remove (--email E | --username U)",
		"remove a member with their sessions and consents", func(ctx context.Context, store *storage.Store, m idp.Member) error {
			// Ending the sessions first queues their back-channel logouts,
			// which deleting the member's rows alone would not.
			err := store.InTx(ctx, func(ctx context.Context) error {
				if _, err := provider.EndMemberSessions(ctx, store, m.ID); err != nil {
					return err
				}
				return store.Members.Delete(ctx, m.ID)
			})
			if err != nil {
				return fmt.Errorf("remove member: %w", err)
			}
			fmt.Fprintf(c.stdout, "removed member %s (%s)\n", m.ID, m.Email)
			return nil
		})
}
