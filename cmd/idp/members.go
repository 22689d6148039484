package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/sessions"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func (c *cli) membersCommand() *ffcli.Command {
	return c.group("members", "idp members <add|list|show|update|disable|enable|set-password|reset-mfa|remove> [flags]", "manage the people who sign in",
		c.membersAddCommand(), c.membersListCommand(), c.membersShowCommand(), c.membersUpdateCommand(),
		c.membersDisableCommand(), c.membersEnableCommand(), c.membersSetPasswordCommand(), c.membersResetMFACommand(), c.membersRemoveCommand())
}

// memberAddConfig is the configuration of idp members add.
type memberAddConfig struct {
	Database, Email, Username, Name, Role string
	// EmailVerified vouches for the address (email_verified true).
	EmailVerified bool
	// Profile is the --profile JSON object of standard claims.
	Profile string
}

// Validate reports every problem with the flags at once.
func (cfg memberAddConfig) Validate() error {
	m, err := cfg.member()
	if err != nil {
		return errors.Join(err, checkDatabase(cfg.Database))
	}
	return errors.Join(append(members.Check(m, memberOption), checkDatabase(cfg.Database))...)
}

func (cfg memberAddConfig) member() (idp.Member, error) {
	m := idp.Member{Email: cfg.Email, Username: cfg.Username, Name: cfg.Name, Role: idp.Role(cfg.Role),
		EmailVerified: cfg.EmailVerified}
	if cfg.Profile != "" {
		var err error
		if m.Profile, err = patchProfile(idp.Profile{}, cfg.Profile); err != nil {
			return m, err
		}
	}
	members.Normalize(&m)
	return m, nil
}

// memberService is the members.Service over store, ending sessions the
// way the provider does, so a running provider delivers their logouts.
func memberService(store *storage.Store) members.Service {
	return members.Service{Store: store, EndSessions: func(ctx context.Context, memberID string) (int, error) {
		return sessions.EndMember(ctx, store, memberID)
	}}
}

func (c *cli) membersAddCommand() *ffcli.Command {
	var cfg memberAddConfig
	fs := flag.NewFlagSet("add", flag.ContinueOnError)
	databaseVar(fs, &cfg.Database)
	fs.StringVar(&cfg.Email, "email", "", "email address, unique")
	fs.StringVar(&cfg.Username, "username", "", "username, unique")
	fs.StringVar(&cfg.Name, "name", "", "display name")
	fs.StringVar(&cfg.Role, "role", string(idp.RoleMember), "role: admin or member")
	fs.BoolVar(&cfg.EmailVerified, "email-verified", false, "vouch for the address: email_verified is true without a verification mail")
	fs.StringVar(&cfg.Profile, "profile", "", profileUsage)
	return c.command("add", "idp members add --email E --username U --name N [--role R] [--email-verified] [--profile JSON] < password",
		"add a member; the password is read from standard input or prompted for", fs,
		func(ctx context.Context) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			m, _ := cfg.member() // checked by Validate
			pw, err := c.readPassword()
			if err != nil {
				return err
			}
			return withStore(ctx, cfg.Database, func(store *storage.Store) error {
				if err := memberService(store).Create(ctx, &m, pw); err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "added member %s (%s)\n", m.ID, m.Email)
				return nil
			})
		})
}

// readPassword reads a new password and checks it.
func (c *cli) readPassword() (string, error) {
	pw, err := readSecret(c.stdin, c.stderr, "password")
	if err != nil {
		return "", err
	}
	return pw, members.CheckPassword(pw, "password")
}

func (c *cli) membersListCommand() *ffcli.Command {
	return c.listCommand("idp members list [--json]", "list members", func(ctx context.Context, store *storage.Store) (listing, error) {
		list, err := store.Members.List(ctx)
		if err != nil {
			return listing{}, fmt.Errorf("list members: %w", err)
		}
		l := listing{header: []string{"ID", "EMAIL", "USERNAME", "NAME", "ROLE"}}
		items := make([]memberJSON, 0, len(list))
		for _, m := range list {
			l.rows = append(l.rows, []string{m.ID, m.Email, m.Username, m.Name, string(m.Role)})
			items = append(items, newMemberJSON(m))
		}
		l.items = items
		return l, nil
	})
}

// memberJSON is a member in idp members list --json: never the hash.
type memberJSON struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	// EmailVerified is the email_verified claim.
	EmailVerified bool `json:"email_verified"`
	// Profile holds the standard claims that are set.
	Profile   *idp.Profile `json:"profile,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

func newMemberJSON(m idp.Member) memberJSON {
	j := memberJSON{ID: m.ID, Email: m.Email, Username: m.Username, Name: m.Name, Role: string(m.Role),
		EmailVerified: m.EmailVerified, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if m.Profile != (idp.Profile{}) {
		p := m.Profile
		j.Profile = &p
	}
	return j
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
	key := sel.Email
	if key == "" {
		key = sel.Username
	}
	return members.Find(ctx, store, key)
}

// membersSetPasswordCommand replaces a member's password, by default ending
// their sessions and refresh tokens (see members.Service.SetPassword).
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
				pw, err := c.readPassword()
				if err != nil {
					return err
				}
				ended, err := memberService(store).SetPassword(ctx, m, pw, keep)
				if err != nil {
					return err
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
			if err := memberService(store).Remove(ctx, m.ID); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "removed member %s (%s)\n", m.ID, m.Email)
			return nil
		})
}
