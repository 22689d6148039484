//go:build faults

package faulttest

import (
	"net/http"
	"testing"
	"time"
)

// Shape of the load: a few members signing in and refreshing, a few
// services asking for client-credentials tokens, each in a loop. Small,
// because the point is correctness under faults, not throughput.
const (
	members  = 4
	services = 2
	outage   = 10 * time.Second
	// recovery is how soon after the database is back the provider must
	// answer again.
	recovery = 5 * time.Second
)

// TestFaults drives the real idp binary on a private PostgreSQL cluster
// through a database outage and a SIGKILL of the provider, under load.
func TestFaults(t *testing.T) {
	pg := newCluster(t)
	bin := buildIDP(t)
	srv := newServer(t, bin, pg.DSN())
	srv.start()
	t.Run("DatabaseOutage", func(t *testing.T) { testDatabaseOutage(t, pg, srv) })
	t.Run("ProviderKilled", func(t *testing.T) { testProviderKilled(t, srv) })
}

// testDatabaseOutage: "PostgreSQL stopped for 10 s and started again while
// clients run code exchanges, refreshes and client-credentials requests:
// requests during the outage fail cleanly (temporarily_unavailable / 503,
// never a 500 with detail, never a hang past a deadline); service is back
// within 5 s of PostgreSQL being back; no refresh token answered with 200
// is unusable afterwards, and no code or refresh token is redeemed twice."
func testDatabaseOutage(t *testing.T, pg *cluster, srv *server) {
	l := newLedger()
	stop := load(srv.base(), l, members, services)
	time.Sleep(3 * time.Second)
	pg.crash()
	down := time.Now()
	time.Sleep(outage)
	pg.start()
	up := time.Now()
	t.Logf("database down for %v", up.Sub(down).Round(time.Millisecond))
	time.Sleep(recovery + 3*time.Second)
	last := stop()

	for _, kind := range []string{"refresh", "client_credentials", "exchange"} {
		at, ok := l.firstOK(kind, up)
		switch {
		case !ok:
			t.Errorf("%s: no success after the database came back", kind)
		case at.Sub(up) > recovery:
			t.Errorf("%s: first success %v after the database came back, want within %v", kind, at.Sub(up), recovery)
		default:
			t.Logf("%s: back %v after the database", kind, at.Sub(up).Round(time.Millisecond))
		}
		if _, ok := l.firstOK(kind, down.Add(-3*time.Second)); !ok {
			t.Errorf("%s: never succeeded before the outage", kind)
		}
	}
	report(t, l)
	checkLastTokens(t, srv.base(), last)
}

// testProviderKilled: "The provider killed with SIGKILL under load and
// restarted: every refresh token it returned still works; a login in
// progress continues."
func testProviderKilled(t *testing.T, srv *server) {
	parked, err := startLogin(srv.base())
	if err != nil {
		t.Fatalf("start a login: %v", err)
	}
	l := newLedger()
	l.refusedOK = true
	stop := load(srv.base(), l, members, services)
	time.Sleep(3 * time.Second)
	srv.kill()
	killed := time.Now()
	srv.start()
	t.Logf("provider back %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	last := stop()
	report(t, l)
	checkLastTokens(t, srv.base(), last)

	code, _, err := parked.finish()
	if err != nil {
		t.Fatalf("the login started before the kill does not continue: %v", err)
	}
	if r := exchange(srv.base(), code, parked.verifier); r.status != http.StatusOK {
		t.Errorf("code of the login started before the kill: %v", r)
	}
}

// report fails the test for every violation the load saw and logs what
// it did.
func report(t *testing.T, l *ledger) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("answers: %v", l.counts)
	for _, v := range l.violations {
		t.Error(v)
	}
	if len(l.redeemed) == 0 {
		t.Error("the load redeemed nothing")
	}
}

// checkLastTokens: the refresh token each member was last answered with
// still works.
func checkLastTokens(t *testing.T, base string, last []string) {
	t.Helper()
	for i, rt := range last {
		if rt == "" {
			t.Errorf("member %d ended without a refresh token", i)
			continue
		}
		if r := refresh(base, rt); r.status != http.StatusOK {
			t.Errorf("member %d: the last refresh token answered with 200 no longer works: %v", i, r)
		}
	}
}
