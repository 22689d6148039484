package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// membersDisableCommand and membersEnableCommand set a member's Disabled
// flag through members.Service.Update, as the admin API's PATCH does:
// disabling ends their sessions, with back-channel logout, and revokes
// their refresh tokens. The change is audited in the same transaction.
func (c *cli) membersDisableCommand() *ffcli.Command {
	return c.memberDisabledCommand("disable", true, "stop a member from signing in, ending their sessions and refresh tokens")
}

func (c *cli) membersEnableCommand() *ffcli.Command {
	return c.memberDisabledCommand("enable", false, "let a disabled member sign in again")
}

func (c *cli) memberDisabledCommand(name string, disabled bool, help string) *ffcli.Command {
	var dsn string
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	databaseVar(fs, &dsn)
	return c.memberArgCommand(name, "idp members "+name+" ID|EMAIL|USERNAME", help, fs, &dsn,
		func(ctx context.Context, store *storage.Store, m idp.Member) error {
			if m.Disabled == disabled {
				fmt.Fprintf(c.stdout, "member %s (%s) is already %sd\n", m.ID, m.Email, name)
				return nil
			}
			updated := m
			updated.Disabled = disabled
			err := store.InTx(ctx, func(ctx context.Context) error {
				if err := memberService(store).Update(ctx, updated); err != nil {
					return err
				}
				return recorder(store).Record(ctx, idp.AuditEvent{Type: idp.AuditMemberUpdated, Actor: actorCLI, MemberID: m.ID,
					Detail: audit.Changes(map[string]any{"disabled": m.Disabled}, map[string]any{"disabled": disabled})})
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%sd member %s (%s)\n", name, m.ID, m.Email)
			return nil
		})
}
