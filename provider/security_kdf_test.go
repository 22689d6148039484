package provider_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// rawPost sends a form to path with optional HTTP Basic credentials and
// returns the status, the headers and the body unparsed, so tests can
// compare answers byte for byte.
func (e *env) rawPost(path string, form url.Values, user, pass string) (int, http.Header, string) {
	e.t.Helper()
	resp, body := e.post(path, form, user, pass)
	return resp.StatusCode, resp.Header, string(body)
}

// TestSecurityKDFConcurrencyBounded: "the number of password/secret
// derivations in flight is bounded (a semaphore sized to the cores, with a
// short queue and a timeout that answers 503 + Retry-After, or
// temporarily_unavailable at OAuth endpoints)".
// Every endpoint that authenticates clients answers so: a revocation or
// introspection whose caller could not be checked is never answered as if
// it had been.
func TestSecurityKDFConcurrencyBounded(t *testing.T) {
	for path, form := range map[string]url.Values{
		"/oauth2/token":      {"grant_type": {"client_credentials"}},
		"/oauth2/revoke":     {"token": {"some-token"}},
		"/oauth2/introspect": {"token": {"some-token"}},
	} {
		t.Run(strings.TrimPrefix(path, "/oauth2/"), func(t *testing.T) { testKDFBounded(t, path, form) })
	}
}

func testKDFBounded(t *testing.T, path string, form url.Values) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		const slots, requests = 2, 40
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.KDFConcurrency, c.KDFQueue, c.KDFWait = slots, 1, time.Millisecond
		})
		for i := range requests {
			e.addClient(idp.Client{ID: fmt.Sprint("svc", i), GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}}, svcSecret)
		}
		type answer struct {
			status int
			header http.Header
			body   string
		}
		answers := make([]answer, requests)
		var wg sync.WaitGroup
		for i := range requests {
			wg.Go(func() {
				s, h, b := e.rawPost(path, form, fmt.Sprint("svc", i), "wrong-secret-"+strconv.Itoa(i))
				answers[i] = answer{s, h, b}
			})
		}
		wg.Wait()

		stats := e.prov.KDFStats()
		if stats.Peak < 1 || stats.Peak > slots {
			t.Errorf("peak derivations in flight = %d, want 1..%d", stats.Peak, slots)
		}
		var refused, denied int
		for _, a := range answers {
			switch a.status {
			case http.StatusUnauthorized:
				denied++
				if !strings.Contains(a.body, `"invalid_client"`) {
					t.Errorf("401 body = %s", a.body)
				}
			case http.StatusServiceUnavailable:
				refused++
				if !strings.Contains(a.body, `"temporarily_unavailable"`) {
					t.Errorf("503 body = %s", a.body)
				}
				if n, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || n < 1 {
					t.Errorf("503 Retry-After = %q", a.header.Get("Retry-After"))
				}
			default:
				t.Errorf("status %d: %s", a.status, a.body)
			}
		}
		if refused == 0 {
			t.Errorf("no request was refused: %d concurrent derivations with %d slots", requests, slots)
		}
		if int64(denied) != stats.Derivations || int64(refused) != stats.Refused {
			t.Errorf("%d denied, %d refused; limiter counted %d derivations, %d refusals", denied, refused, stats.Derivations, stats.Refused)
		}
	})
}

// TestSecurityWrongClientSecretThrottled: "repeated wrong secrets for one
// client id are throttled": past the limit, attempts are refused without
// deriving anything, for known and unknown ids alike.
func TestSecurityWrongClientSecretThrottled(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		form := url.Values{"grant_type": {"client_credentials"}}
		for _, id := range []string{"svc", "no-such-client"} {
			before := e.prov.KDFStats().Derivations
			var lastStatus int
			var lastHeader http.Header
			for i := range 15 {
				lastStatus, lastHeader, _ = e.rawPost("/oauth2/token", form, id, fmt.Sprint("guess-", i))
			}
			if got := e.prov.KDFStats().Derivations - before; got != 10 {
				t.Errorf("%s: 15 wrong secrets ran %d derivations, want 10", id, got)
			}
			if lastStatus != http.StatusServiceUnavailable || lastHeader.Get("Retry-After") == "" {
				t.Errorf("%s: throttled attempt answered %d, Retry-After %q", id, lastStatus, lastHeader.Get("Retry-After"))
			}
		}
		// Another client is not affected.
		if resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "web", "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("other client: %d %v", resp.StatusCode, out)
		}
	})
}

// TestSecurityUnknownClientIndistinguishable: "an unknown client id costs
// the same as a known one with a wrong secret (no timing or wording
// difference that reveals registration or auth method)".
func TestSecurityUnknownClientIndistinguishable(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{ID: "poster", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"},
			TokenEndpointAuthMethod: idp.AuthMethodPost}, svcSecret)
		type attempt struct {
			name, id string
			basic    bool
		}
		attempts := []attempt{
			{"unknown id (basic)", "no-such-client", true},
			{"known id, wrong secret (basic)", "svc", true},
			{"public id with a secret (basic)", "spa", true},
			{"post-only id, wrong secret (basic)", "poster", true},
			{"unknown id (post)", "no-such-client", false},
			{"known id, wrong secret (post)", "svc", false},
			{"public id with a secret (post)", "spa", false},
			{"post-only id, wrong secret (post)", "poster", false},
		}
		var want string
		for _, a := range attempts {
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
			user, pass := a.id, "wrong-secret-0123456789"
			if !a.basic {
				form.Set("client_id", a.id)
				form.Set("client_secret", pass)
				user = ""
			}
			before := e.prov.KDFStats().Derivations
			status, header, body := e.rawPost("/oauth2/token", form, user, pass)
			got := fmt.Sprintf("%d %s %s", status, header.Get("WWW-Authenticate"), body)
			if want == "" {
				want = got
				if status != http.StatusUnauthorized || !strings.Contains(body, `"invalid_client"`) {
					t.Fatalf("%s: %s", a.name, got)
				}
			} else if got != want {
				t.Errorf("%s answered\n%s\nwant\n%s", a.name, got, want)
			}
			if n := e.prov.KDFStats().Derivations - before; n != 1 {
				t.Errorf("%s ran %d derivations, want 1", a.name, n)
			}
		}

		// The registered method works; the right secret by another method
		// is refused, and only then is the caller told why.
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"poster"}, "client_secret": {svcSecret}}
		if resp, out := e.postForm("/oauth2/token", form, "", ""); resp.StatusCode != http.StatusOK {
			t.Errorf("client_secret_post with the right secret: %d %v", resp.StatusCode, out)
		}
		resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "poster", svcSecret)
		if desc, _ := out["error_description"].(string); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(desc, "client_secret_post") {
			t.Errorf("client_secret_basic for a client_secret_post client: %d %v", resp.StatusCode, out)
		}
	})
}

// TestSecurityLoginKDFBounded: the same bound holds at /login, where each
// wrong password (for a known or an unknown account) costs a derivation;
// a sign-in that finds no slot is answered 503 with Retry-After.
func TestSecurityLoginKDFBounded(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		const requests = 20
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.KDFConcurrency, c.KDFQueue, c.KDFWait = 1, 1, time.Millisecond
		})
		b := e.browser()
		pg := b.get(e.webRP().authURL(newAuthRequest()))
		if !pg.isLogin() {
			t.Fatalf("no login page: %d %s", pg.resp.StatusCode, pg.body)
		}
		hidden := idptest.HiddenFields(findForm(pg.doc))
		type answer struct {
			status     int
			retryAfter string
			body       string
			err        error
		}
		answers := make([]answer, requests)
		var wg sync.WaitGroup
		for i := range requests {
			wg.Go(func() {
				form := cloneForm(hidden)
				form.Set("username", fmt.Sprintf("nobody%d@example.com", i))
				form.Set("password", "wrong-password")
				req, _ := http.NewRequest(http.MethodPost, e.issuer+"/login", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := b.client.Do(req)
				if err != nil {
					answers[i].err = err
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				answers[i] = answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(body), nil}
			})
		}
		wg.Wait()

		stats := e.prov.KDFStats()
		if stats.Peak != 1 {
			t.Errorf("peak derivations in flight = %d, want 1", stats.Peak)
		}
		var busy, checked int64
		for _, a := range answers {
			switch {
			case a.err != nil:
				t.Errorf("request: %v", a.err)
			case a.status == http.StatusServiceUnavailable:
				busy++
				if a.retryAfter == "" || !strings.Contains(a.body, "busy") {
					t.Errorf("busy answer lacks Retry-After or message: %q %s", a.retryAfter, a.body)
				}
			case strings.Contains(a.body, "The username or password is incorrect."):
				checked++
			default:
				t.Errorf("status %d: %s", a.status, a.body)
			}
		}
		if busy == 0 || busy != stats.Refused || checked != stats.Derivations {
			t.Errorf("%d busy, %d checked; limiter counted %d refusals, %d derivations", busy, checked, stats.Refused, stats.Derivations)
		}
	})
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
