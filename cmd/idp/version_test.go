package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out := runOK(t, "", args...)
		if !strings.HasPrefix(out, "idp ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("idp %s = %q; want the module version and %s", args[0], out, runtime.Version())
		}
	}
	defer func(orig func() (*debug.BuildInfo, bool)) { readBuildInfo = orig }(readBuildInfo)
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/idp/idp", Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
				{Key: "vcs.modified", Value: "true"}}}, true
	}
	if got, want := runOK(t, "", "version"), "idp v1.2.3 revision 0123abc-modified committed 2026-01-02T03:04:05Z go1.26.8\n"; got != want {
		t.Errorf("version = %q; want %q", got, want)
	}
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/idp/idp", Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "GOEXPERIMENT", Value: "boringcrypto"}}}, true
	}
	if got, want := runOK(t, "", "version"), "idp v1.2.3 go1.26.8 boringcrypto\n"; got != want {
		t.Errorf("version of the release build = %q; want %q", got, want)
	}
	readBuildInfo = func() (*debug.BuildInfo, bool) { return nil, false }
	wantContains(t, runOK(t, "", "--version"), "no build information")
}

// TestHelpGoesToStandardOutput: help that was asked for is output, so it
// can be piped to a pager; a usage error still goes to standard error.
func TestHelpGoesToStandardOutput(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"clients", "--help"}, {"members", "add", "-h"}, {"sessions", "revoke", "--help"}} {
		out, errOut, err := invocation{}.run(t, args...)
		if err != nil || !strings.Contains(strings.ToLower(out), "usage") || errOut != "" {
			t.Errorf("idp %s: err %v, stdout %q, stderr %q; want usage on stdout only", strings.Join(args, " "), err, out, errOut)
		}
	}
	out, errOut, err := invocation{}.run(t, "members")
	if err == nil || out != "" || !strings.Contains(errOut, "add") {
		t.Errorf("idp members: err %v, stdout %q, stderr %q; want the usage error on stderr", err, out, errOut)
	}
	wantContains(t, runOK(t, "", "--help"), "version", "healthcheck", "sessions")
}
