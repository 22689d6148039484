package provider_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// dbProxy forwards loopback TCP connections to the test database, so a
// test can cut the provider off its database and restore it without
// touching the database server.
type dbProxy struct {
	t      testing.TB
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newDBProxy(t testing.TB, target string) *dbProxy {
	t.Helper()
	p := &dbProxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *dbProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(d, c); d.Close() }()
			go func() { _, _ = io.Copy(c, d); c.Close() }()
		}
	}()
}

// cut closes every connection and refuses new ones, as a stopped
// database server does.
func (p *dbProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore accepts connections again on the same address.
func (p *dbProxy) restore() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// proxiedPostgres opens a migrated PostgreSQL store whose connections go
// through a dbProxy.
func proxiedPostgres(t *testing.T) (*storage.Store, *dbProxy) {
	t.Helper()
	u, err := url.Parse(storagetest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newDBProxy(t, u.Host)
	u.Host = proxy.addr
	ctx := context.Background()
	s, err := storage.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	return s, proxy
}

// TestSecurityStoreUnavailable: "requests during a database outage fail
// cleanly (temporarily_unavailable / 503, never a 500 with detail, never a
// hang past a deadline) and change nothing; service is back within 5 s of
// the database being back."
func TestSecurityStoreUnavailable(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Skip("an SQLite database is a file of this process: there is no server to lose")
	})
	t.Run("postgres", func(t *testing.T) {
		store, proxy := proxiedPostgres(t)
		e := newEnv(t, store)
		web := e.webRP()
		tok, _ := e.signedIn(web, e.browser())
		a := newAuthRequest()
		code := e.code(e.browser().signIn(web.authURL(a), "alice", alicePass), a)

		proxy.cut()
		exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {webRedirect}, "code_verifier": {a.verifier}}
		for name, call := range map[string]func() (*http.Response, map[string]any){
			"refresh": func() (*http.Response, map[string]any) { return e.refresh(tok.RefreshToken) },
			"code exchange": func() (*http.Response, map[string]any) {
				return e.postForm("/oauth2/token", exchange, "web", webSecret)
			},
			"client credentials": func() (*http.Response, map[string]any) {
				return e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret)
			},
			"introspection": func() (*http.Response, map[string]any) {
				return e.postForm("/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, "web", webSecret)
			},
			"revocation": func() (*http.Response, map[string]any) {
				return e.postForm("/oauth2/revoke", url.Values{"token": {tok.RefreshToken}}, "web", webSecret)
			},
		} {
			start := time.Now()
			resp, out := call()
			if resp.StatusCode != http.StatusServiceUnavailable || out["error"] != "temporarily_unavailable" ||
				resp.Header.Get("Retry-After") == "" {
				t.Errorf("%s without the database: %d %v (Retry-After %q), want 503 temporarily_unavailable",
					name, resp.StatusCode, out, resp.Header.Get("Retry-After"))
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("%s without the database took %v", name, took)
			}
		}
		// At /authorize a validated client hears of it at its redirect URI
		// (RFC 6749 §4.1.2.1); anyone else sees a 503 page.
		if pg := e.browser().get(web.authURL(newAuthRequest())); pg.resp.StatusCode != http.StatusServiceUnavailable &&
			pg.redirect(t).Query().Get("error") != "temporarily_unavailable" {
			t.Errorf("authorization without the database: %d %s, want temporarily_unavailable",
				pg.resp.StatusCode, pg.resp.Header.Get("Location"))
		}
		if pg := e.browser().get(e.issuer + "/oauth2/authorize?client_id=nobody&response_type=code"); pg.resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("authorization page for an unknown client without the database: %d, want 503", pg.resp.StatusCode)
		}

		proxy.restore()
		back := time.Now()
		var resp *http.Response
		var out map[string]any
		for time.Since(back) < 5*time.Second {
			if resp, out = e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusServiceUnavailable {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh after the database came back: %d %v (the failed attempts must change nothing)", resp.StatusCode, out)
		}
		if resp, out := e.postForm("/oauth2/token", exchange, "web", webSecret); resp.StatusCode != http.StatusOK {
			t.Errorf("code exchange after the database came back: %d %v", resp.StatusCode, out)
		}
	})
}
