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

// setting names a flag and its twin for error messages, e.g.
// "--secret/IDP_SECRET".
func setting(flag string) string { return "--" + flag + "/" + envName(flag) }

// describeEnv appends each flag's environment twin to its usage text.
func describeEnv(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) { f.Usage += " ($" + envName(f.Name) + ")" })
}

// applyEnv sets every flag not given on the command line from its
// environment twin, when that is non-empty: flags win over the environment.
// A repeatable flag takes a white-space separated list.
//
// This is what ff.WithEnvVarPrefix does, done here because ff reads the
// process environment directly, while commands read the getenv they are
// given, and because some twins are named explicitly (envNames).
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(envName(f.Name))
		if err != nil || given[f.Name] || v == "" {
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
