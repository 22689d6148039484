package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// memberArgCommand returns a command acting on the member its argument
// names by ID, email or username (see members.Find).
func (c *cli) memberArgCommand(name, usage, help string, fs *flag.FlagSet, dsn *string,
	fn func(context.Context, *storage.Store, idp.Member) error) *ffcli.Command {
	return c.argCommand(name, usage, help, fs, func(ctx context.Context, key string) error {
		if err := checkDatabase(*dsn); err != nil {
			return err
		}
		return withStore(ctx, *dsn, func(store *storage.Store) error {
			m, err := members.Find(ctx, store, key)
			if err != nil {
				return err
			}
			return fn(ctx, store, m)
		})
	})
}

func (c *cli) membersShowCommand() *ffcli.Command {
	var dsn string
	var asJSON bool
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	fs.BoolVar(&asJSON, "json", false, "print a JSON object")
	return c.memberArgCommand("show", "idp members show ID|EMAIL|USERNAME [--json]", "show a member", fs, &dsn,
		func(_ context.Context, _ *storage.Store, m idp.Member) error {
			rows := append([][2]string{
				{"ID", m.ID}, {"Email", m.Email}, {"Username", m.Username}, {"Name", m.Name}, {"Role", string(m.Role)},
				{"Email verified", strconv.FormatBool(m.EmailVerified)},
			}, profileRows(m.Profile)...)
			rows = append(rows, [2]string{"Created", timestamp(m.CreatedAt)}, [2]string{"Updated", timestamp(m.UpdatedAt)})
			return c.show(rows, newMemberJSON(m), asJSON)
		})
}

// memberUpdateConfig holds the flags of idp members update; only the flags
// given change the member.
type memberUpdateConfig struct {
	Database, Email, Username, Name, Role, Profile string
	EmailVerified                                  bool
	given                                          map[string]bool
}

// apply returns m with the given flags' values; --profile is merged into
// the stored profile.
func (cfg memberUpdateConfig) apply(m idp.Member) (idp.Member, error) {
	if cfg.given["profile"] {
		var err error
		if m.Profile, err = patchProfile(m.Profile, cfg.Profile); err != nil {
			return m, err
		}
	}
	if cfg.given["email"] {
		m.Email = cfg.Email
	}
	if cfg.given["username"] {
		m.Username = cfg.Username
	}
	if cfg.given["name"] {
		m.Name = cfg.Name
	}
	if cfg.given["role"] {
		m.Role = idp.Role(cfg.Role)
	}
	if cfg.given["email-verified"] {
		m.EmailVerified = cfg.EmailVerified
	}
	return m, nil
}

func (c *cli) membersUpdateCommand() *ffcli.Command {
	var cfg memberUpdateConfig
	fs := flag.NewFlagSet("update", flag.ContinueOnError)
	databaseVar(fs, &cfg.Database)
	fs.StringVar(&cfg.Email, "email", "", "new email address, unique")
	fs.StringVar(&cfg.Username, "username", "", "new username, unique")
	fs.StringVar(&cfg.Name, "name", "", "new display name")
	fs.StringVar(&cfg.Role, "role", "", "new role: admin or member")
	fs.BoolVar(&cfg.EmailVerified, "email-verified", false,
		"vouch for the address (true) or withdraw it (false); a new --email without it is unverified")
	fs.StringVar(&cfg.Profile, "profile", "", profileUsage)
	return c.memberArgCommand("update", "idp members update ID|EMAIL|USERNAME [--email E] [--username U] [--name N] [--role R] [--email-verified=true|false] [--profile JSON]",
		"change a member's profile; the flags not given keep their value", fs, &cfg.Database,
		func(ctx context.Context, store *storage.Store, m idp.Member) error {
			cfg.given = map[string]bool{}
			fs.Visit(func(f *flag.Flag) { cfg.given[f.Name] = true })
			updated, err := cfg.apply(m)
			if err != nil {
				return err
			}
			if errs := members.Check(updated, memberOption); len(errs) > 0 {
				return errors.Join(errs...)
			}
			if err := memberService(store).Update(ctx, updated); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "updated member %s (%s)\n", updated.ID, updated.Email)
			return nil
		})
}
