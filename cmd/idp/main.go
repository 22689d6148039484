// Command idp runs the identity provider and administers its database:
// members, clients, signing keys, migrations and the bootstrap file.
//
// It is the only place where the storage, provider, clients and members
// packages meet, and holds no rules of its own: it parses flags and files,
// labels errors with the setting they came from, and wires the packages
// together (members.Service ends sessions through sessions.EndMember).
// Every server setting has an IDP_* environment twin (see env.go), so
// the same binary is configured by flags on a workstation and by the
// environment in a container.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/peterbourgon/ff/v3/ffcli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "idp:", err)
		os.Exit(1)
	}
}

// cli is what every command reads and writes instead of the process's own
// environment and standard streams, so tests can run commands in parallel.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// usage receives the usage text and flag errors: standard output
	// when help was asked for, else standard error.
	usage io.Writer
}

// errUsage is returned, after the usage text is printed, when a command
// group is called without a known subcommand.
var errUsage = errors.New("missing or unknown command; see the usage above")

// run parses args (without the program name) and runs the selected command
// until it finishes or ctx is cancelled. -h prints usage to standard output
// and returns nil; --version prints the version.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	c.usage = stderr
	if wantsHelp(args) {
		// Asked-for help is output, not an error: it goes to standard
		// output so it can be paged or searched.
		c.usage = stdout
	}
	root := c.group("idp", "idp <command> [flags]", "OpenID Connect identity provider",
		c.serveCommand(),
		c.migrateCommand(),
		c.membersCommand(),
		c.clientsCommand(),
		c.sessionsCommand(),
		c.keysCommand(),
		c.consentsCommand(),
		c.auditCommand(),
		c.registrationTokenCommand(),
		c.healthcheckCommand(),
		c.versionCommand(),
	)
	showVersion := root.FlagSet.Bool("version", false, "print the version and exit")
	group := root.Exec
	root.Exec = func(ctx context.Context, args []string) error {
		if *showVersion {
			_, err := fmt.Fprintln(c.stdout, version())
			return err
		}
		return group(ctx, args)
	}
	err := root.ParseAndRun(ctx, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// wantsHelp reports whether args ask for usage with -h or --help before
// any "--", where the flag package prints it.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help", "--h":
			return true
		}
	}
	return false
}

// group returns a command that only holds subcommands.
func (c *cli) group(name, usage, help string, subs ...*ffcli.Command) *ffcli.Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.usage)
	cmd := &ffcli.Command{Name: name, ShortUsage: usage, ShortHelp: help, FlagSet: fs, Subcommands: subs}
	cmd.Exec = func(context.Context, []string) error {
		fmt.Fprintln(c.stderr, ffcli.DefaultUsageFunc(cmd))
		return errUsage
	}
	return cmd
}

// command returns an administrative leaf command, whose only environment
// twins are the shared server settings (see sharedTwins).
func (c *cli) command(name, usage, help string, fs *flag.FlagSet, exec func(ctx context.Context) error) *ffcli.Command {
	return c.leaf(name, usage, help, fs, sharedTwins, exec)
}

// serverCommand returns a leaf command whose every flag is a server
// setting with an environment twin.
func (c *cli) serverCommand(name, usage, help string, fs *flag.FlagSet, exec func(ctx context.Context) error) *ffcli.Command {
	return c.leaf(name, usage, help, fs, allTwins, exec)
}

// leaf returns a leaf command. Before exec runs, flags with twins that
// were not given on the command line are read from the environment, and
// stray positional arguments are refused.
func (c *cli) leaf(name, usage, help string, fs *flag.FlagSet, has twins, exec func(ctx context.Context) error) *ffcli.Command {
	fs.SetOutput(c.usage)
	describeEnv(fs, has)
	return &ffcli.Command{
		Name: name, ShortUsage: usage, ShortHelp: help, FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%s: unexpected argument %q", name, args[0])
			}
			if err := applyEnv(fs, has, c.getenv); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return exec(ctx)
		},
	}
}
