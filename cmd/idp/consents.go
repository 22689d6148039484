package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// The provider remembers a member's consent to a client and does not show
// the consent page again while it stands (OpenID Connect Core 1.0 §3.1.2.4).
// These commands let an administrator see that consent and withdraw it, so
// the member is asked again on their next sign-in to the client.
func (c *cli) consentsCommand() *ffcli.Command {
	return c.group("consents", "idp consents <list|revoke> [flags]", "see and revoke the scopes members allowed clients",
		c.consentsListCommand(), c.consentsRevokeCommand())
}

func (c *cli) consentsListCommand() *ffcli.Command {
	var sel memberSelector
	var asJSON bool
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	sel.register(fs)
	jsonVar(fs, &asJSON)
	return c.command("list", "idp consents list (--email E | --username U) [--json]",
		"list the clients a member consented to, with the scopes allowed", fs, func(ctx context.Context) error {
			if err := sel.Validate(); err != nil {
				return err
			}
			return withStore(ctx, sel.Database, func(store *storage.Store) error {
				m, err := sel.find(ctx, store)
				if err != nil {
					return fmt.Errorf("find member: %w", err)
				}
				l, err := consentListing(ctx, store, m)
				if err != nil {
					return err
				}
				return c.print(l, asJSON)
			})
		})
}

func consentListing(ctx context.Context, store *storage.Store, m idp.Member) (listing, error) {
	consents, err := store.Consents.ByMember(ctx, m.ID)
	if err != nil {
		return listing{}, fmt.Errorf("list consents: %w", err)
	}
	l := listing{header: []string{"CLIENT", "SCOPES", "GRANTED AT"}}
	items := make([]consentJSON, 0, len(consents))
	for _, con := range consents {
		l.rows = append(l.rows, []string{con.ClientID, strings.Join(con.Scopes, " "), timestamp(con.GrantedAt)})
		items = append(items, consentJSON{con.ClientID, append([]string{}, con.Scopes...), con.GrantedAt})
	}
	l.items = items
	return l, nil
}

// consentJSON is a consent in idp consents list --json.
type consentJSON struct {
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	GrantedAt time.Time `json:"granted_at"`
}

// consentRevokeConfig is the configuration of idp consents revoke.
type consentRevokeConfig struct {
	memberSelector
	Client string
}

// Validate reports every problem with the flags at once.
func (cfg consentRevokeConfig) Validate() error {
	var err error
	if cfg.Client == "" {
		err = fmt.Errorf("%s: required", option("client"))
	}
	return errors.Join(cfg.memberSelector.Validate(), err)
}

func (c *cli) consentsRevokeCommand() *ffcli.Command {
	var cfg consentRevokeConfig
	fs := flag.NewFlagSet("revoke", flag.ContinueOnError)
	cfg.register(fs)
	fs.StringVar(&cfg.Client, "client", "", "the client's ID")
	return c.command("revoke", "idp consents revoke (--email E | --username U) --client ID",
		"forget a member's consent to a client, so they are asked again at the next sign-in", fs,
		func(ctx context.Context) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			return withStore(ctx, cfg.Database, func(store *storage.Store) error {
				m, err := cfg.find(ctx, store)
				if err != nil {
					return fmt.Errorf("find member: %w", err)
				}
				return c.revokeConsent(ctx, store, m, cfg.Client)
			})
		})
}

// revokeConsent removes m's consent to the client. A consent that does not
// exist is an error wrapping idp.ErrNotFound, so a mistyped client ID is
// not mistaken for a revocation.
func (c *cli) revokeConsent(ctx context.Context, store *storage.Store, m idp.Member, clientID string) error {
	err := store.InTx(ctx, func(ctx context.Context) error {
		if err := store.Consents.Revoke(ctx, m.ID, clientID); err != nil {
			return err
		}
		return recorder(store).Record(ctx, idp.AuditEvent{Type: idp.AuditConsentRevoked, Actor: actorCLI,
			MemberID: m.ID, ClientID: clientID})
	})
	if errors.Is(err, idp.ErrNotFound) {
		return fmt.Errorf("no consent of %s for client %s: %w", m.Email, clientID, idp.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("revoke consent: %w", err)
	}
	fmt.Fprintf(c.stdout, "revoked consent of %s (%s) for client %s\n", m.ID, m.Email, clientID)
	return nil
}
