package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// membersResetMFACommand removes a member's second factors (TOTP secret,
// recovery codes) through members.Service.ResetMFA, as the admin API's
// reset-mfa does, audited as mfa.reset in the same transaction.
func (c *cli) membersResetMFACommand() *ffcli.Command {
	var dsn string
	fs := flag.NewFlagSet("reset-mfa", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	return c.memberArgCommand("reset-mfa", "idp members reset-mfa ID|EMAIL|USERNAME",
		"remove a member's second factors (authenticator app, recovery codes), for a member who lost them", fs, &dsn,
		func(ctx context.Context, store *storage.Store, m idp.Member) error {
			var had bool
			err := store.InTx(ctx, func(ctx context.Context) error {
				var err error
				if had, err = memberService(store).ResetMFA(ctx, m.ID); err != nil {
					return err
				}
				return recorder(store).Record(ctx, idp.AuditEvent{Type: idp.AuditMFAReset, Actor: actorCLI, MemberID: m.ID,
					Detail: map[string]any{"had_factors": had}})
			})
			if err != nil {
				return err
			}
			if !had {
				fmt.Fprintf(c.stdout, "member %s (%s) had no second factor\n", m.ID, m.Email)
				return nil
			}
			fmt.Fprintf(c.stdout, "removed the second factors of member %s (%s)\n", m.ID, m.Email)
			return nil
		})
}
