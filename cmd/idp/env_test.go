package main

import (
	"flag"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{
		"database":                      "IDP_DATABASE_URL",
		"secret":                        "IDP_SECRET",
		"keep-refresh-tokens-on-logout": "IDP_KEEP_REFRESH_TOKENS_ON_LOGOUT",
	} {
		if got := envName(flag); got != want {
			t.Errorf("envName(%q) = %q, want %q", flag, got, want)
		}
	}
	if got := setting("secret"); got != "--secret/IDP_SECRET" {
		t.Errorf("setting = %q", got)
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"IDP_DATABASE_URL": "postgres://db/idp",
		"IDP_DATABASE":     "wrong-twin.db",
		"IDP_ISSUER":       "https://env.example",
		"IDP_SESSION_IDLE": "5m",
		"IDP_PUBLIC":       "true",
		"IDP_SCOPE":        "openid  profile\temail",
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var dsn, issuer string
	var idle time.Duration
	var public bool
	scopes := newList("default")
	databaseVar(fs, &dsn)
	fs.StringVar(&issuer, "issuer", "http://default", "")
	fs.DurationVar(&idle, "session-idle", time.Hour, "")
	fs.BoolVar(&public, "public", false, "")
	fs.Var(scopes, "scope", "")
	if err := fs.Parse([]string{"--issuer", "https://flag.example"}); err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(fs, allTwins, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if dsn != "postgres://db/idp" {
		t.Errorf("database = %q; want it from IDP_DATABASE_URL", dsn)
	}
	if issuer != "https://flag.example" {
		t.Errorf("issuer = %q; the flag must win over the environment", issuer)
	}
	if idle != 5*time.Minute || !public {
		t.Errorf("session-idle = %v, public = %v; want 5m, true", idle, public)
	}
	if want := []string{"openid", "profile", "email"}; !slices.Equal(scopes.values, want) {
		t.Errorf("scope = %q, want %q", scopes.values, want)
	}
}

func TestApplyEnvBadValueNamesTheSetting(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Duration("session-idle", time.Hour, "")
	err := applyEnv(fs, allTwins, func(k string) string { return map[string]string{"IDP_SESSION_IDLE": "soon"}[k] })
	if err == nil || !strings.HasPrefix(err.Error(), "--session-idle/IDP_SESSION_IDLE: ") {
		t.Fatalf("applyEnv = %v; want an error naming --session-idle/IDP_SESSION_IDLE", err)
	}
}

func TestListFlagReplacesDefault(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	l := newList("a", "b")
	fs.Var(l, "x", "")
	if err := fs.Parse([]string{"-x", "c", "-x", "d"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.values, []string{"c", "d"}) {
		t.Fatalf("values = %q, want [c d]", l.values)
	}
}
