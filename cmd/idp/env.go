package main

import (
	"flag"
	"fmt"
	"strings"
)

// envNames holds the environment twins that are not IDP_ followed by the
// flag name in upper case with dashes as underscores.
var envNames = map[string]string{
	"database": "IDP_DATABASE_URL",
}

// envName returns the environment variable that stands in for a flag.
func envName(flag string) string {
	if n, ok := envNames[flag]; ok {
		return n
	}
	return "IDP_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// setting names a server setting and its twin for error messages, e.g.
// "--secret/IDP_SECRET".
func setting(flag string) string { return "--" + flag + "/" + envName(flag) }

// option names a flag that has no environment twin, for error messages.
func option(flag string) string { return "--" + flag }

// sharedSettings are the server settings that administrative commands read
// too: they point at the same database and secret as the server, so an
// operator who exports them for serve can run every command.
var sharedSettings = map[string]bool{"database": true, "secret": true}

// twins selects the flags of a command that have environment twins.
type twins func(flag string) bool

// allTwins gives every flag a twin: the settings of serve and migrate.
func allTwins(string) bool { return true }

// sharedTwins gives twins only to the shared server settings. Flags that
// name what an administrative command acts on (--email, --id, --role ...)
// have none: a variable exported for another purpose, such as IDP_ID, must
// never fill them.
func sharedTwins(flag string) bool { return sharedSettings[flag] }

// describeEnv appends each twin to its flag's usage text.
func describeEnv(fs *flag.FlagSet, has twins) {
	fs.VisitAll(func(f *flag.Flag) {
		if has(f.Name) {
			f.Usage += " ($" + envName(f.Name) + ")"
		}
	})
}

// applyEnv sets every flag that has a twin and was not given on the
// command line from its environment twin, when that is non-empty: flags win over the environment.
// A repeatable flag takes a white-space separated list.
//
// This is what ff.WithEnvVarPrefix does, done here because ff reads the
// process environment directly, while commands read the getenv they are
// given, and because some twins are named explicitly (envNames).
func applyEnv(fs *flag.FlagSet, has twins, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] || !has(f.Name) {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" {
			return
		}
		values := []string{v}
		if _, ok := f.Value.(*listFlag); ok {
			values = strings.Fields(v)
		}
		for _, v := range values {
			// Only non-string flags can fail here, so the message
			// never echoes a secret.
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", setting(f.Name), e)
				return
			}
		}
	})
	return err
}

// listFlag is a repeatable string flag. The first value given replaces the
// default rather than adding to it.
type listFlag struct {
	values []string
	set    bool
}

func newList(defaults ...string) *listFlag { return &listFlag{values: defaults} }

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

func (l *listFlag) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	l.values = append(l.values, v)
	return nil
}
