package main

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/peterbourgon/ff/v3/ffcli"
)

// readBuildInfo is debug.ReadBuildInfo, a variable so tests can supply
// the build info of a release build.
var readBuildInfo = debug.ReadBuildInfo

// version describes the build from the information the Go toolchain
// embeds: the module version ("(devel)" for a build from a checkout), the
// VCS revision and time when built in a repository (a "-modified" suffix
// when the tree had uncommitted changes), and the Go version. Nothing is
// set by linker flags, so every build reports itself the same way.
func version() string {
	info, ok := readBuildInfo()
	if !ok {
		return "idp (no build information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "idp %s", v)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += "-modified"
		}
		fmt.Fprintf(&b, " revision %s", rev)
	}
	if t := settings["vcs.time"]; t != "" {
		fmt.Fprintf(&b, " committed %s", t)
	}
	fmt.Fprintf(&b, " %s", info.GoVersion)
	// The release build signs with BoringSSL; say so, as operators choose
	// images by it.
	if slices.Contains(strings.Split(settings["GOEXPERIMENT"], ","), "boringcrypto") {
		b.WriteString(" boringcrypto")
	}
	return b.String()
}

func (c *cli) versionCommand() *ffcli.Command {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(c.usage)
	return &ffcli.Command{
		Name: "version", ShortUsage: "idp version", ShortHelp: "print the version, VCS revision and Go version of this build",
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("version: unexpected argument %q", args[0])
			}
			_, err := fmt.Fprintln(c.stdout, version())
			return err
		},
	}
}
