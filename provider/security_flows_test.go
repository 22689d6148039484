package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idp/idp/storage"
)

// authorizeForm is a valid authorization request for the web client, as
// form values.
func authorizeForm(t testing.TB, r *rp) url.Values {
	t.Helper()
	u, err := url.Parse(r.authURL(newAuthRequest()))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// postAuthorize sends form to /oauth2/authorize from b and returns the
// answer without following redirects.
func (b *browser) postAuthorize(form url.Values) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.issuer+"/oauth2/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// flowOf returns the id of the flow a redirect to the login page names.
func flowOf(t testing.TB, resp *http.Response) string {
	t.Helper()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusSeeOther || loc.Path != "/login" || loc.Query().Get("flow") == "" {
		t.Fatalf("want a redirect to the login page, got %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("flow")
}

// TestSecurityAuthorizeJunkNotStored: "unknown authorization parameters
// are not stored": a parked login flow keeps only the parameters the
// provider uses.
func TestSecurityAuthorizeJunkNotStored(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		form := authorizeForm(t, e.webRP())
		form.Set("junk", strings.Repeat("x", 32<<10))
		id := flowOf(t, e.browser().postAuthorize(form))
		f, err := e.store.Flows.ByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(f.Params, "junk") || len(f.Params) > 2<<10 {
			t.Errorf("stored flow keeps unknown parameters: %d bytes", len(f.Params))
		}
		if !strings.Contains(f.Params, "code_challenge=") || !strings.Contains(f.Params, "nonce=") {
			t.Errorf("stored flow lost parameters it needs: %s", f.Params)
		}
	})
}

// TestSecurityRequestBodyLimited: "every endpoint has a request body limit
// fit for its purpose (e.g. 64 KiB for forms)": a larger body is refused
// before it is read, and nothing is stored.
func TestSecurityRequestBodyLimited(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		form := authorizeForm(t, e.webRP())
		form.Set("junk", strings.Repeat("x", 9<<20))
		if resp := b.postAuthorize(form); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("9 MiB authorization request: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		big := url.Values{"grant_type": {"client_credentials"}, "junk": {strings.Repeat("x", 1<<20)}}
		if resp, out := e.postForm("/oauth2/token", big, "svc", svcSecret); resp.StatusCode != http.StatusRequestEntityTooLarge || out["error"] != "invalid_request" {
			t.Errorf("1 MiB token request: %d %v", resp.StatusCode, out)
		}
		for _, path := range []string{"/login", "/consent", "/oauth2/introspect", "/oauth2/revoke", "/oauth2/logout"} {
			req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader("a="+strings.Repeat("x", 1<<20)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("1 MiB POST %s: %d", path, resp.StatusCode)
			}
		}
		// A request within the limit still works.
		if resp := b.postAuthorize(authorizeForm(t, e.webRP())); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("normal authorization request: %d", resp.StatusCode)
		}
	})
}

// TestSecurityOversizedFlowRefused: "a stored flow has a size cap": an
// authorization request whose known parameters are too large to park is
// refused with invalid_request, and nothing is stored.
func TestSecurityOversizedFlowRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		form := authorizeForm(t, e.webRP())
		form.Set("login_hint", strings.Repeat("x", 40<<10))
		resp := e.browser().postAuthorize(form)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc == nil || !strings.HasPrefix(loc.String(), webRedirect) || loc.Query().Get("error") != "invalid_request" {
			t.Errorf("oversized flow: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// TestSecurityFlowsPerBrowserBounded: "the number of live flows per
// browser is bounded": the oldest flows of a browser are evicted.
func TestSecurityFlowsPerBrowserBounded(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		var ids []string
		for range 15 {
			ids = append(ids, flowOf(t, b.postAuthorize(authorizeForm(t, e.webRP()))))
		}
		live := 0
		for _, id := range ids {
			if _, err := e.store.Flows.ByID(context.Background(), id); err == nil {
				live++
			}
		}
		if live != 10 {
			t.Errorf("%d live flows for one browser, want 10", live)
		}
		if _, err := e.store.Flows.ByID(context.Background(), ids[0]); err == nil {
			t.Error("the oldest flow survived")
		}
		if pg := b.get(e.issuer + "/login?flow=" + ids[len(ids)-1]); !pg.isLogin() {
			t.Errorf("the newest flow is gone: %d", pg.resp.StatusCode)
		}
	})
}

// TestSecurityFlowsPerAddressBounded: "the number of live flows per
// address is bounded": fresh browsers from one address cannot park more
// than the cap, and are told why.
func TestSecurityFlowsPerAddressBounded(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.webRP()
		for range 100 {
			flowOf(t, e.browser().postAuthorize(authorizeForm(t, r)))
		}
		resp := e.browser().postAuthorize(authorizeForm(t, r))
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc == nil || !strings.HasPrefix(loc.String(), webRedirect) || loc.Query().Get("error") != "temporarily_unavailable" {
			t.Errorf("flow beyond the per-address cap: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}
