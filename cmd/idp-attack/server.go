package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// server is an `idp serve` process started for the measurement.
type server struct {
	cmd    *exec.Cmd
	issuer string
	dir    string
}

// start runs idp serve on a free loopback port with a fresh database in a
// temporary directory, and waits until discovery answers.
func start(ctx context.Context, idp, bootstrap string, stderr io.Writer) (*server, error) {
	dir, err := os.MkdirTemp("", "idp-attack-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s := &server{issuer: "http://" + addr, dir: dir}
	s.cmd = exec.CommandContext(ctx, idp, "serve", "--listen", addr, "--issuer", s.issuer,
		"--database", "sqlite:"+filepath.Join(dir, "idp.db"), "--bootstrap", bootstrap, "--log-level", "error")
	s.cmd.Stderr = stderr
	if err := s.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", idp, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.issuer + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("the server did not answer discovery within 30s")
}

// stop ends the server and removes its database.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	_ = os.RemoveAll(s.dir)
}

// rss is the server's resident set size in bytes.
func (s *server) rss() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read RSS: %q: %w", v, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("read RSS: no VmRSS line: %v", sc.Err())
}

// peakDuring runs fn and samples the server's RSS every 20ms meanwhile,
// returning the largest sample and fn's summary.
func (s *server) peakDuring(ctx context.Context, fn func(context.Context) (string, error)) (int64, string, error) {
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if n, err := s.rss(); err == nil && n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	summary, err := fn(ctx)
	close(stop)
	<-sampled
	return peak.Load(), summary, err
}
