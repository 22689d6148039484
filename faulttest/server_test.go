//go:build faults

package faulttest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Secrets of the fault test's provider and clients; loopback only.
const (
	systemSecret = "fault-test-system-secret-0123456789abcdef"
	webSecret    = "fault-test-web-client-secret-0123456789"
	svcSecret    = "fault-test-service-client-secret-0123456789"
	alicePass    = "alice-password-1"
	redirectURI  = "http://127.0.0.1:9/callback"
)

const bootstrapYAML = `clients:
  - id: web
    name: Web
    secret: ` + webSecret + `
    redirect_uris: [` + redirectURI + `]
    grant_types: [authorization_code, refresh_token]
    scopes: [openid, profile, offline_access]
    skip_consent: true
  - id: svc
    name: Service
    secret: ` + svcSecret + `
    grant_types: [client_credentials]
    scopes: [api.read]
    audience: [https://api.example]
members:
  - email: alice@example.com
    username: alice
    name: Alice Example
    password: ` + alicePass + `
    role: member
`

// buildIDP builds the real idp binary once per test run.
func buildIDP(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "idp")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/idp")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap.yaml"), []byte(bootstrapYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	return bin
}

// server is one run of `idp serve` on a fixed loopback port.
type server struct {
	t        testing.TB
	bin, dsn string
	port     int
	cmd      *exec.Cmd
	log      *syncBuffer
}

func newServer(t testing.TB, bin, dsn string) *server {
	s := &server{t: t, bin: bin, dsn: dsn, port: freePort(t), log: &syncBuffer{}}
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("provider log (last 8 KiB):\n%s", s.log.tail(8<<10))
		}
	})
	return s
}

func (s *server) base() string { return fmt.Sprintf("http://127.0.0.1:%d", s.port) }

// start runs the binary and waits until discovery answers.
func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "serve",
		"--listen", fmt.Sprintf("127.0.0.1:%d", s.port), "--issuer", s.base(),
		"--database", s.dsn, "--secret", systemSecret,
		"--bootstrap", filepath.Join(filepath.Dir(s.bin), "bootstrap.yaml"),
		"--refresh-token-reuse-interval", "1m", "--log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start idp: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base() + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("idp did not come up within 30s:\n%s", s.log.tail(4<<10))
}

// kill ends the process with SIGKILL: no shutdown, no draining.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// syncBuffer collects a process's output from two pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.Bytes()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return string(s)
}
