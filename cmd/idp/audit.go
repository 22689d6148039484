package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// actorCLI is the actor of the changes made at the command line: whoever
// runs it holds the database and the secret, and is not a member or a
// client of the provider.
const actorCLI = "cli"

// recorder is the audit trail the command line writes to. Events are not
// logged (the command prints what it did); the running providers count
// nothing for them.
func recorder(store *storage.Store) *audit.Log {
	return audit.New(store, slog.New(slog.DiscardHandler), time.Now)
}

func (c *cli) auditCommand() *ffcli.Command {
	return c.group("audit", "idp audit list [flags]", "read the audit trail of security events", c.auditListCommand())
}

// auditListConfig is the configuration of idp audit list.
type auditListConfig struct {
	Database     string
	Type         string
	Member       string
	Client       string
	Since, Until string
	Limit        int
	JSON         bool
}

// query turns the flags into the store's query, reporting every bad flag
// at once.
func (cfg auditListConfig) query(now time.Time) (storage.AuditQuery, error) {
	q := storage.AuditQuery{Type: idp.AuditType(cfg.Type), MemberID: cfg.Member, ClientID: cfg.Client, Limit: cfg.Limit}
	var errs []error
	var err error
	if q.Since, err = parseWhen(cfg.Since, now); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", option("since"), err))
	}
	if q.Until, err = parseWhen(cfg.Until, now); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", option("until"), err))
	}
	if cfg.Limit < 0 || cfg.Limit > storage.MaxAuditLimit {
		errs = append(errs, fmt.Errorf("%s: %d: want 1 to %d", option("limit"), cfg.Limit, storage.MaxAuditLimit))
	}
	return q, errors.Join(checkDatabase(cfg.Database), errors.Join(errs...))
}

// parseWhen reads an RFC 3339 time, or a duration meaning that long
// before now ("24h"); empty is the zero time (no bound).
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time or a duration before now (24h)", s)
	}
	return t, nil
}

func (c *cli) auditListCommand() *ffcli.Command {
	var cfg auditListConfig
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	databaseVar(fs, &cfg.Database)
	fs.StringVar(&cfg.Type, "type", "", "only events of this type (login.failed, token.issued, ...)")
	fs.StringVar(&cfg.Member, "member", "", "only events about this member ID")
	fs.StringVar(&cfg.Client, "client", "", "only events about this client ID")
	fs.StringVar(&cfg.Since, "since", "", "only events at or after this time (RFC 3339, or a duration before now: 24h)")
	fs.StringVar(&cfg.Until, "until", "", "only events before this time (RFC 3339, or a duration before now)")
	fs.IntVar(&cfg.Limit, "limit", storage.DefaultAuditLimit, fmt.Sprintf("at most this many events, newest first (at most %d)", storage.MaxAuditLimit))
	jsonVar(fs, &cfg.JSON)
	return c.command("list", "idp audit list [--type T] [--member ID] [--client ID] [--since T] [--until T] [--limit N] [--json]",
		"list audit events, newest first", fs, func(ctx context.Context) error {
			q, err := cfg.query(time.Now())
			if err != nil {
				return err
			}
			return withStore(ctx, cfg.Database, func(store *storage.Store) error {
				events, _, err := store.Audit.List(ctx, q)
				if err != nil {
					return fmt.Errorf("list audit events: %w", err)
				}
				return c.print(auditListing(events), cfg.JSON)
			})
		})
}

func auditListing(events []idp.AuditEvent) listing {
	l := listing{header: []string{"TIME", "TYPE", "ACTOR", "MEMBER", "CLIENT", "ADDRESS", "DETAIL"}}
	items := make([]auditEventJSON, 0, len(events))
	for _, e := range events {
		l.rows = append(l.rows, []string{timestamp(e.Time), string(e.Type), e.Actor, e.MemberID, e.ClientID, e.Address, detailText(e.Detail)})
		items = append(items, auditEventJSON{e.ID, e.Time, string(e.Type), e.Actor, e.MemberID, e.ClientID, e.SessionID, e.Address, e.Detail})
	}
	l.items = items
	return l
}

// detailText shows a detail as key=value pairs in key order.
func detailText(d map[string]any) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, d[k]))
	}
	return strings.Join(parts, " ")
}

// auditEventJSON is an event in idp audit list --json.
type auditEventJSON struct {
	ID        string         `json:"id"`
	Time      time.Time      `json:"time"`
	Type      string         `json:"type"`
	Actor     string         `json:"actor"`
	MemberID  string         `json:"member_id,omitempty"`
	ClientID  string         `json:"client_id,omitempty"`
	SessionID string         `json:"session_id,omitempty"`
	Address   string         `json:"address,omitempty"`
	Detail    map[string]any `json:"detail,omitempty"`
}
