package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/sessions"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// Sessions are members' signed-in browsers at the provider. These commands
// let an administrator see them and end one, as a sign-out would: its
// refresh tokens are revoked and every client that took part is sent a
// back-channel logout by the running provider.
func (c *cli) sessionsCommand() *ffcli.Command {
	return c.group("sessions", "idp sessions <list|revoke> [flags]", "see and end members' sign-in sessions",
		c.sessionsListCommand(), c.sessionsRevokeCommand())
}

func (c *cli) sessionsListCommand() *ffcli.Command {
	var dsn, member string
	var asJSON bool
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	fs.StringVar(&member, "member", "", "only the sessions of this member (ID, email or username)")
	jsonVar(fs, &asJSON)
	return c.command("list", "idp sessions list [--member ID|EMAIL|USERNAME] [--json]",
		"list sessions, newest first per member", fs, func(ctx context.Context) error {
			if err := checkDatabase(dsn); err != nil {
				return err
			}
			return withStore(ctx, dsn, func(store *storage.Store) error {
				l, err := sessionListing(ctx, store, member)
				if err != nil {
					return err
				}
				return c.print(l, asJSON)
			})
		})
}

// sessionListing lists the sessions of the member key names, or of every
// member when key is empty.
func sessionListing(ctx context.Context, store *storage.Store, key string) (listing, error) {
	var list []idp.Member
	if key != "" {
		m, err := members.Find(ctx, store, key)
		if err != nil {
			return listing{}, err
		}
		list = []idp.Member{m}
	} else {
		var err error
		if list, err = store.Members.List(ctx); err != nil {
			return listing{}, fmt.Errorf("list members: %w", err)
		}
	}
	l := listing{header: []string{"SID", "MEMBER", "EMAIL", "SIGNED IN", "LAST SEEN", "EXPIRES"}}
	items := []sessionJSON{}
	for _, m := range list {
		sessions, err := store.Sessions.ByMember(ctx, m.ID)
		if err != nil {
			return listing{}, fmt.Errorf("list sessions of %s: %w", m.ID, err)
		}
		for _, s := range sessions {
			l.rows = append(l.rows, []string{s.ID, m.ID, m.Email, timestamp(s.AuthTime), timestamp(s.LastSeenAt), timestamp(s.ExpiresAt)})
			items = append(items, sessionJSON{s.ID, m.ID, m.Email, s.AuthTime, s.CreatedAt, s.LastSeenAt, s.ExpiresAt})
		}
	}
	l.items = items
	return l, nil
}

// sessionJSON is a session in idp sessions list --json: never the hash of
// its cookie token.
type sessionJSON struct {
	ID          string    `json:"sid"`
	MemberID    string    `json:"member_id"`
	MemberEmail string    `json:"member_email"`
	AuthTime    time.Time `json:"auth_time"`
	CreatedAt   time.Time `json:"created_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

func (c *cli) sessionsRevokeCommand() *ffcli.Command {
	var dsn string
	fs := flag.NewFlagSet("revoke", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	return c.argCommand("revoke", "idp sessions revoke SID",
		"end a session: its refresh tokens are revoked and its clients get a back-channel logout", fs,
		func(ctx context.Context, sid string) error {
			if err := checkDatabase(dsn); err != nil {
				return err
			}
			return withStore(ctx, dsn, func(store *storage.Store) error {
				s, err := store.Sessions.ByID(ctx, sid)
				if err != nil {
					return fmt.Errorf("find session %q: %w", sid, err)
				}
				err = store.InTx(ctx, func(ctx context.Context) error {
					if err := sessions.End(ctx, store, []idp.Session{s}, true); err != nil {
						return err
					}
					return recorder(store).Record(ctx, idp.AuditEvent{Type: idp.AuditSessionEnded, Actor: actorCLI,
						MemberID: s.MemberID, SessionID: s.ID, Detail: map[string]any{"reason": "revoked"}})
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "ended session %s of member %s\n", s.ID, s.MemberID)
				return nil
			})
		})
}
