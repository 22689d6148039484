//go:build faults

package faulttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// cluster is a private PostgreSQL cluster in a temporary directory,
// listening on a free loopback port. The test stops and starts it at will;
// it never touches any other PostgreSQL server.
type cluster struct {
	t        testing.TB
	bin, dir string
	port     int
	// runAs is the OS user that owns the cluster when the test runs as
	// root (initdb refuses root); empty otherwise.
	runAs string
}

// newCluster creates and starts the cluster, or skips the test with the
// reason when the PostgreSQL server binaries are not installed.
func newCluster(t testing.TB) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: serverBinDir()}
	if c.bin == "" {
		skip(t, "initdb and pg_ctl not found (install the PostgreSQL server package)")
	}
	dir, err := os.MkdirTemp("", "idp-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			skip(t, "running as root and there is no postgres user to own the cluster")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.runAs = "postgres"
	}
	c.port = freePort(t)
	c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	t.Cleanup(func() { _ = c.exec("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop") })
	c.start()
	return c
}

// skip skips the test with the reason, or fails it when
// IDP_TEST_REQUIRE_POSTGRES=1 says PostgreSQL must be there (as in CI).
func skip(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("IDP_TEST_REQUIRE_POSTGRES") == "1" {
		t.Fatal("fault test cannot run: " + reason)
	}
	t.Skip("fault test skipped: " + reason)
}

// serverBinDir finds the newest /usr/lib/postgresql/*/bin with initdb and
// pg_ctl, or a PATH holding both.
func serverBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	initdb, err1 := exec.LookPath("initdb")
	pgctl, err2 := exec.LookPath("pg_ctl")
	if err1 == nil && err2 == nil && filepath.Dir(initdb) == filepath.Dir(pgctl) {
		return filepath.Dir(initdb)
	}
	return ""
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isFile(p string) bool { st, err := os.Stat(p); return err == nil && !st.IsDir() }

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// DSN is the cluster's connection URL.
func (c *cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// start starts the server and waits until it accepts connections.
func (c *cluster) start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", c.port, c.dir)
	c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start")
}

// crash stops the server the way a crash would: no shutdown checkpoint,
// client connections cut at once; the next start replays the WAL.
func (c *cluster) crash() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
}

func (c *cluster) run(name string, args ...string) {
	c.t.Helper()
	if err := c.exec(name, args...); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		c.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, log)
	}
}

func (c *cluster) exec(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", cmd.Path}, args...)...)
	}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}
