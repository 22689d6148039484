package provider_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/idp/idp/storage"
)

// restart stops the provider and its server and starts a new provider on
// the same store, secret and address, as a redeploy would: whatever
// survives lives in the store and the browser's cookies.
func (e *env) restart() {
	e.t.Helper()
	addr := e.srv.Listener.Addr().String()
	e.srv.Close()
	if err := e.prov.Close(); err != nil {
		e.t.Fatalf("close provider: %v", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		e.t.Fatalf("listen again on %s: %v", addr, err)
	}
	e.srv = &httptest.Server{Listener: l, Config: &http.Server{}}
	e.start()
}

// TestRestartMidLogin: a sign-in started before a restart finishes after
// it, at both the login and the consent page, because the flow lives in
// the store and the form's CSRF token derives from the system secret.
func TestRestartMidLogin(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		web := e.webRP()
		b := e.browser()
		a := newAuthRequest()
		pg := b.get(web.authURL(a))
		if !pg.isLogin() {
			t.Fatalf("want the login page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		old := e.prov

		e.restart()
		if e.prov == old {
			t.Fatal("restart kept the provider")
		}
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("login after restart: want the consent page, got %d: %s", pg.resp.StatusCode, pg.body)
		}

		e.restart()
		cb := b.submit(pg, nil, "consent", "allow").redirect(t)
		tok, claims := web.redeem(cb, a)
		if claims["preferred_username"] != "alice" || tok.RefreshToken == "" {
			t.Errorf("tokens after restart: claims %v, refresh token %q", claims, tok.RefreshToken)
		}
		// The session survived as well.
		if _, c := web.silent(b); c["sid"] != claims["sid"] {
			t.Errorf("sid after restart %v, want %v", c["sid"], claims["sid"])
		}
	})
}
