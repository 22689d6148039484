package provider_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// The answers a sign-in attempt can get, told apart by their message.
const (
	answerBadCredentials = "The username or password is incorrect."
	answerThrottled      = "Too many failed attempts"
	accountLimit         = 10 // failed sign-ins per account and address in one window
)

// loginForm is a login page's form, ready to be posted many times (also
// from several goroutines) with the browser's cookies.
type loginForm struct {
	b      *browser
	action string
	hidden url.Values
}

func (b *browser) loginForm(authURL string) *loginForm {
	b.t.Helper()
	pg := b.get(authURL)
	if !pg.isLogin() {
		b.t.Fatalf("want the login page, got status %d: %s", pg.resp.StatusCode, pg.body)
	}
	form := findForm(pg.doc)
	action, _ := pg.resp.Request.URL.Parse(attr(form, "action"))
	return &loginForm{b: b, action: action.String(), hidden: idptest.HiddenFields(form)}
}

// post submits the form with the given credentials and extra headers. It
// is safe to call from any goroutine: errors are returned, not reported.
func (f *loginForm) post(user, pass string, header http.Header) (status int, body string, err error) {
	vals := url.Values{"username": {user}, "password": {pass}}
	for k, v := range f.hidden {
		vals[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, f.action, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := f.b.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// mustPost is post for the test goroutine.
func (f *loginForm) mustPost(user, pass string, header http.Header) (int, string) {
	f.b.t.Helper()
	status, body, err := f.post(user, pass, header)
	if err != nil {
		f.b.t.Fatalf("post login: %v", err)
	}
	return status, body
}

// TestSecurityThrottleReservesBeforeVerifying: "reserve an attempt before
// verifying". Sixty concurrent wrong passwords for one account from one
// address get at most the limit of password checks; every other attempt
// gets the throttled answer without its password being looked at.
func TestSecurityThrottleReservesBeforeVerifying(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		form := e.browser().loginForm(e.webRP().authURL(newAuthRequest()))
		before := e.prov.KDFStats().Derivations
		const attempts = 60
		type answer struct {
			status int
			body   string
			err    error
		}
		answers := make(chan answer, attempts)
		var wg sync.WaitGroup
		for range attempts {
			wg.Go(func() {
				status, body, err := form.post("alice", "wrong-password", nil)
				answers <- answer{status, body, err}
			})
		}
		wg.Wait()
		close(answers)
		checked, throttled := 0, 0
		for a := range answers {
			switch {
			case a.err != nil:
				t.Fatalf("post: %v", a.err)
			case strings.Contains(a.body, answerBadCredentials):
				checked++
			case strings.Contains(a.body, answerThrottled) && a.status == http.StatusTooManyRequests,
				a.status == http.StatusServiceUnavailable: // no derivation slot: not checked either
				throttled++
			default:
				t.Fatalf("unexpected answer: status %d: %.300s", a.status, a.body)
			}
		}
		if derived := e.prov.KDFStats().Derivations - before; derived != int64(checked) {
			t.Errorf("%d password derivations for %d answers that checked one", derived, checked)
		}
		if checked > accountLimit || checked+throttled != attempts {
			t.Errorf("%d passwords checked, %d throttled or busy; want at most %d checked and the rest refused",
				checked, throttled, accountLimit)
		}
	})
}

// TestSecurityThrottleHugeUsernames: "keys are fixed-size hashes of
// normalized, length-capped input; usernames longer than a cap are refused
// before any work". A failed sign-in with a 32 KiB username gets the
// ordinary failure answer, without the name echoed back; one with a 1 MiB
// username is refused whole (413) or the same way; neither leaves lasting
// memory behind.
func TestSecurityThrottleHugeUsernames(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		form := e.browser().loginForm(e.webRP().authURL(newAuthRequest()))
		wantStatus, _ := form.mustPost("nobody", "wrong-password", nil)
		derived := e.prov.KDFStats().Derivations

		before := heapInUse()
		for i := range 60 {
			size := 32 << 10
			if i%2 == 1 {
				size = 1 << 20
			}
			huge := strings.Repeat(string(rune('a'+i%26)), size) + string(rune('a'+i/26))
			status, body := form.mustPost(huge, "wrong-password", nil)
			if size == 1<<20 && status == http.StatusRequestEntityTooLarge {
				continue
			}
			if status != wantStatus || !strings.Contains(body, answerBadCredentials) {
				t.Fatalf("attempt %d (%d bytes): status %d (want %d, as for any failure): %.300s", i, size, status, wantStatus, body)
			}
			if len(body) > size/2 {
				t.Fatalf("attempt %d: a %d-byte answer echoes the username back", i, len(body))
			}
		}
		if grown := heapInUse() - before; grown > 16<<20 {
			t.Errorf("60 failed sign-ins with huge usernames left %d MiB on the heap", grown>>20)
		}
		if n := e.prov.KDFStats().Derivations - derived; n != 0 {
			t.Errorf("huge usernames cost %d password derivations, want none", n)
		}
	})
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// TestSecurityFailedSignInAnswer: RFC 9110 §11.6.1 requires
// WWW-Authenticate with 401, which a form cannot honour, so a failed
// sign-in answers 200 with the form again; an unknown account and a wrong
// password get the same status and the same page (apart from the flow and
// its CSRF token, and the name typed), so the answer reveals no accounts.
func TestSecurityFailedSignInAnswer(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		page := func(user string) (int, string) {
			form := b.loginForm(e.webRP().authURL(newAuthRequest()))
			status, body := form.mustPost(user, "wrong-password", nil)
			for _, secret := range []string{form.hidden.Get("flow"), form.hidden.Get("csrf_token"), user} {
				body = strings.ReplaceAll(body, secret, "…")
			}
			return status, body
		}
		wrongStatus, wrongBody := page("alice")
		unknownStatus, unknownBody := page("nobody")
		if wrongStatus != http.StatusOK || unknownStatus != http.StatusOK {
			t.Errorf("status: wrong password %d, unknown account %d; want 200 for both", wrongStatus, unknownStatus)
		}
		if wrongBody != unknownBody {
			t.Errorf("the pages differ:\nwrong password:\n%s\nunknown account:\n%s", wrongBody, unknownBody)
		}
		if !strings.Contains(wrongBody, answerBadCredentials) {
			t.Errorf("no failure message: %s", wrongBody)
		}
	})
}

// TestSecurityThrottleSharedByReplicas: "the throttle state lives in the
// store, so every replica behind a load balancer enforces the same limits".
// Failures spread over two providers on one store add up.
func TestSecurityThrottleSharedByReplicas(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		r := e.replica()
		forms := []*loginForm{
			e.browser().loginForm(e.webRP().authURL(newAuthRequest())),
			r.browser().loginForm(r.webRP().authURL(newAuthRequest())),
		}
		for i := range accountLimit {
			if _, body := forms[i%2].mustPost("alice", "wrong-password", nil); !strings.Contains(body, answerBadCredentials) {
				t.Fatalf("failure %d: %.300s", i+1, body)
			}
		}
		for i, f := range forms {
			if status, body := f.mustPost("alice", alicePass, nil); status != http.StatusTooManyRequests ||
				!strings.Contains(body, answerThrottled) {
				t.Errorf("replica %d let a sign-in through after %d failures spread over both: status %d",
					i, accountLimit, status)
			}
		}
	})
}

// replica starts a second provider on the env's store and secret, as
// another replica behind a load balancer would run.
func (e *env) replica(tweak ...func(*provider.Config)) *env {
	e.t.Helper()
	r := &env{t: e.t, store: e.store, secret: e.secret, srv: httptest.NewUnstartedServer(nil)}
	r.issuer = "http://" + r.srv.Listener.Addr().String()
	r.cfg = e.cfg
	r.cfg.Issuer = r.issuer
	for _, f := range tweak {
		f(&r.cfg)
	}
	r.start()
	return r
}

// TestSecurityThrottleForwardedFor: "a --trusted-proxies CIDR list decides
// when X-Forwarded-For/Forwarded is believed". From an untrusted peer the
// headers are ignored, so forging them earns no fresh attempts; behind a
// trusted proxy each client is counted on its own, so one client's
// failures do not lock out everyone behind the proxy, and entries the
// client wrote itself (left of the proxy's) are not believed.
func TestSecurityThrottleForwardedFor(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		xff := func(v string) http.Header { return http.Header{"X-Forwarded-For": {v}} }
		fail := func(t *testing.T, f *loginForm, n int, header func(i int) http.Header) {
			t.Helper()
			for i := range n {
				if _, body := f.mustPost("alice", "wrong-password", header(i)); !strings.Contains(body, answerBadCredentials) {
					t.Fatalf("failure %d: %.300s", i+1, body)
				}
			}
		}

		t.Run("untrusted peer", func(t *testing.T) {
			e := newEnv(t, open(t))
			f := e.browser().loginForm(e.webRP().authURL(newAuthRequest()))
			fail(t, f, accountLimit, func(i int) http.Header { return xff(fmt.Sprintf("198.51.100.%d", i+1)) })
			if status, _ := f.mustPost("alice", alicePass, xff("203.0.113.200")); status != http.StatusTooManyRequests {
				t.Errorf("a forged X-Forwarded-For from an untrusted peer earned a fresh attempt: status %d", status)
			}
			if status, _ := f.mustPost("alice", alicePass, http.Header{"Forwarded": {"for=203.0.113.201"}}); status != http.StatusTooManyRequests {
				t.Errorf("a forged Forwarded from an untrusted peer earned a fresh attempt: status %d", status)
			}
		})

		t.Run("trusted proxy", func(t *testing.T) {
			e := newEnv(t, open(t), func(c *provider.Config) {
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
			})
			f := e.browser().loginForm(e.webRP().authURL(newAuthRequest()))
			// The attacker varies what it writes itself; the proxy
			// appends the address it sees.
			fail(t, f, accountLimit, func(i int) http.Header { return xff(fmt.Sprintf("10.9.9.%d, 198.51.100.1", i)) })
			if status, _ := f.mustPost("alice", alicePass, xff("10.9.9.200, 198.51.100.1")); status != http.StatusTooManyRequests {
				t.Errorf("the attacker behind the proxy was not throttled: status %d", status)
			}
			if status, body := f.mustPost("alice", alicePass, xff("198.51.100.2")); status == http.StatusTooManyRequests ||
				strings.Contains(body, answerBadCredentials) {
				t.Errorf("another client behind the proxy was locked out: status %d", status)
			}
		})
	})
}

// TestSecurityThrottleCountsAccounts: the per-account limit counts
// guesses at the account, however it is named: naming it by username and
// by email (which matches ignoring case) earns no extra guesses.
func TestSecurityThrottleCountsAccounts(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		f := e.browser().loginForm(e.webRP().authURL(newAuthRequest()))
		names := []string{"alice", aliceEmail, " Alice@Example.COM "}
		for i := range accountLimit {
			if _, body := f.mustPost(names[i%len(names)], "wrong-password", nil); !strings.Contains(body, answerBadCredentials) {
				t.Fatalf("failure %d: %.300s", i+1, body)
			}
		}
		for _, name := range []string{"alice", aliceEmail} {
			if status, _ := f.mustPost(name, alicePass, nil); status != http.StatusTooManyRequests {
				t.Errorf("sign-in as %q after %d failures under other spellings: status %d, want 429", name, accountLimit, status)
			}
		}
	})
}

// TestSecurityThrottleBusyNotCounted: an attempt answered "busy" (no
// derivation slot was free) had its password checked by nobody, so it
// does not use up one of the member's attempts.
func TestSecurityThrottleBusyNotCounted(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.KDFConcurrency, c.KDFQueue, c.KDFWait = 1, 1, time.Millisecond
		})
		form := e.browser().loginForm(e.webRP().authURL(newAuthRequest()))
		burst := make(chan string, accountLimit)
		var wg sync.WaitGroup
		for range accountLimit {
			wg.Go(func() {
				_, body, err := form.post("alice", "wrong-password", nil)
				if err != nil {
					body = err.Error()
				}
				burst <- body
			})
		}
		wg.Wait()
		close(burst)
		checked, busy := 0, 0
		for body := range burst {
			switch {
			case strings.Contains(body, answerBadCredentials):
				checked++
			case strings.Contains(body, "busy"):
				busy++
			default:
				t.Fatalf("unexpected answer: %.300s", body)
			}
		}
		if busy == 0 {
			t.Skip("no attempt of the burst found the limiter busy")
		}
		for checked < accountLimit {
			if _, body := form.mustPost("alice", "wrong-password", nil); !strings.Contains(body, answerBadCredentials) {
				t.Fatalf("after %d checked and %d busy attempts, attempt %d was refused: %.200s",
					checked, busy, checked+1, body)
			}
			checked++
		}
		if status, _ := form.mustPost("alice", alicePass, nil); status != http.StatusTooManyRequests {
			t.Errorf("after %d checked attempts: status %d, want 429", checked, status)
		}
	})
}
