package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/peterbourgon/ff/v3/ffcli"
)

// argCommand returns an administrative leaf command that acts on the one
// thing its positional argument names (a client ID, a member, a session).
// Flags may come before or after the argument: Go's flag package stops at
// the first argument, so the rest are parsed again.
func (c *cli) argCommand(name, usage, help string, fs *flag.FlagSet, exec func(ctx context.Context, arg string) error) *ffcli.Command {
	fs.SetOutput(c.usage)
	describeEnv(fs, sharedTwins)
	return &ffcli.Command{
		Name: name, ShortUsage: usage, ShortHelp: help, FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("%s: missing argument; usage: %s", name, usage)
			}
			arg := args[0]
			if err := fs.Parse(args[1:]); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if rest := fs.Args(); len(rest) > 0 {
				return fmt.Errorf("%s: unexpected argument %q", name, rest[0])
			}
			if err := applyEnv(fs, sharedTwins, c.getenv); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return exec(ctx, arg)
		},
	}
}
