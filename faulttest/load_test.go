//go:build faults

package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// maxLatency is the longest any answer may take, outage or not.
const maxLatency = 10 * time.Second

// ledger records what the load saw and checks every answer as it comes.
type ledger struct {
	mu sync.Mutex
	// redeemed counts the successful answers per code and refresh token:
	// more than one is a double redemption.
	redeemed map[string]int
	// ok holds the times of successful answers per kind of request.
	ok         map[string][]time.Time
	counts     map[string]int
	violations []string
	// outage tolerates refused connections (the provider is down).
	refusedOK bool
}

func newLedger() *ledger {
	return &ledger{redeemed: map[string]int{}, ok: map[string][]time.Time{}, counts: map[string]int{}}
}

func (l *ledger) violate(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.violations) < 50 {
		l.violations = append(l.violations, fmt.Sprintf(format, args...))
	}
}

// check classifies an answer: ok, retry (a clean temporary failure) or
// neither, which the caller judges. A transport error (unless refusedOK),
// a 5xx other than 503 temporarily_unavailable and a slow answer are
// violations here.
func (l *ledger) check(kind string, r result) (ok, retry bool) {
	l.mu.Lock()
	l.counts[kind+" "+statusName(r)]++
	if r.err == nil && r.status == http.StatusOK {
		l.ok[kind] = append(l.ok[kind], time.Now())
	}
	refusedOK := l.refusedOK
	l.mu.Unlock()
	if r.took > maxLatency {
		l.violate("%s took %v, over %v: %v", kind, r.took, maxLatency, r)
	}
	switch {
	case r.err != nil && refusedOK:
		return false, true
	case r.err != nil:
		l.violate("%s: %v", kind, r)
		return false, true
	case r.status == http.StatusOK:
		return true, false
	case r.status == http.StatusServiceUnavailable && (r.body == nil || r.body["error"] == "temporarily_unavailable"):
		return false, true
	case r.status >= 500:
		l.violate("%s: unclean failure %v", kind, r)
		return false, true
	}
	return false, false
}

func statusName(r result) string {
	if r.err != nil {
		return "transport-error"
	}
	return fmt.Sprint(r.status)
}

// redeem counts a successful redemption of a code or refresh token.
func (l *ledger) redeem(what, token string) {
	l.mu.Lock()
	l.redeemed[token]++
	n := l.redeemed[token]
	l.mu.Unlock()
	if n > 1 {
		l.violate("%s redeemed %d times", what, n)
	}
}

// firstOK returns the first successful answer of kind at or after t.
func (l *ledger) firstOK(kind string, t time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, at := range l.ok[kind] {
		if !at.Before(t) {
			return at, true
		}
	}
	return time.Time{}, false
}

const retryPause = 100 * time.Millisecond

// member signs in, exchanges the code and refreshes, over and over, and
// returns the last refresh token the provider answered with. It retries
// a clean temporary failure with the same code or token, as a client
// would; a refusal of a token answered with 200 is a violation.
func member(ctx context.Context, base string, l *ledger) (last string) {
	var rt string
	for i := 0; ctx.Err() == nil; i++ {
		if rt == "" || i%8 == 0 {
			if fresh := signIn(ctx, base, l); fresh != "" {
				rt = fresh
			}
			continue
		}
		r := refresh(base, rt)
		ok, retry := l.check("refresh", r)
		switch {
		case ok:
			l.redeem("refresh token", rt)
			rt, _ = r.body["refresh_token"].(string)
		case retry:
			pause(ctx)
		default:
			l.violate("refresh token answered with 200 refused: %v", r)
			rt = ""
		}
	}
	return rt
}

// signIn runs one sign-in to tokens and returns the refresh token, or ""
// when the provider could not complete it (it is then tried again).
func signIn(ctx context.Context, base string, l *ledger) string {
	lg, err := startLogin(base)
	if err != nil {
		pause(ctx)
		return ""
	}
	code, status, err := lg.finish()
	if err != nil {
		if status >= 500 && status != http.StatusServiceUnavailable {
			l.violate("login: %v", err)
		}
		pause(ctx)
		return ""
	}
	return redeemCode(ctx, base, l, code, lg.verifier)
}

// redeemCode exchanges a code, retrying clean temporary failures. An
// exchange whose answer was lost with the connection may have redeemed
// the code: the retry is then refused, as a second redemption must be
// (RFC 6749 §4.1.2), and the member signs in again.
func redeemCode(ctx context.Context, base string, l *ledger, code, verifier string) string {
	lost := false
	for ctx.Err() == nil {
		r := exchange(base, code, verifier)
		ok, retry := l.check("exchange", r)
		switch {
		case ok:
			l.redeem("code", code)
			rt, _ := r.body["refresh_token"].(string)
			return rt
		case retry:
			lost = lost || r.err != nil
			pause(ctx)
		case lost && r.body["error"] == "invalid_grant":
			return ""
		default:
			l.violate("code refused after clean failures: %v", r)
			return ""
		}
	}
	return ""
}

// service asks for client-credentials tokens until ctx ends.
func service(ctx context.Context, base string, l *ledger) {
	for ctx.Err() == nil {
		r := clientCredentials(base)
		ok, retry := l.check("client_credentials", r)
		if !ok && !retry {
			l.violate("client credentials refused: %v", r)
		}
		if retry {
			pause(ctx)
		}
	}
}

func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(retryPause):
	}
}

// load runs members and services against base until stop is called,
// which returns each member's last refresh token.
func load(base string, l *ledger, members, services int) (stop func() []string) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	last := make([]string, members)
	for i := range members {
		wg.Add(1)
		go func() { defer wg.Done(); last[i] = member(ctx, base, l) }()
	}
	for range services {
		wg.Add(1)
		go func() { defer wg.Done(); service(ctx, base, l) }()
	}
	return func() []string { cancel(); wg.Wait(); return last }
}
