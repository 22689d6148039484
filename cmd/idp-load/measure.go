package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one grant's measurement.
type result struct {
	Grant    string  `json:"grant"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"requests_per_second"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
	// FirstError says what went wrong first, when anything did.
	FirstError string `json:"first_error,omitempty"`
}

// maxCodes bounds the codes collected for the exchange.
const maxCodes = 200_000

// op is one measured request of a worker; next gives a worker's op.
type op func(ctx context.Context) error

// measure runs each configured grant in turn.
func measure(ctx context.Context, cfg config) ([]result, error) {
	base := &http.Client{
		Timeout: cfg.timeout,
		Transport: &http.Transport{
			MaxIdleConns: cfg.concurrency * 2, MaxIdleConnsPerHost: cfg.concurrency * 2,
			IdleConnTimeout: 30 * time.Second, ForceAttemptHTTP2: false,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ep, err := discover(ctx, base, cfg.target)
	if err != nil {
		return nil, err
	}
	var out []result
	for _, g := range cfg.grants {
		var r result
		var err error
		switch g {
		case "client_credentials":
			r, err = cfg.clientCredentials(ctx, base, ep)
		case "authorization_code":
			var a result
			a, r, err = cfg.codeExchange(ctx, base, ep)
			out = append(out, a)
		case "refresh_token":
			r, err = cfg.refresh(ctx, base, ep)
		case "introspection":
			r, err = cfg.introspection(ctx, base, ep)
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", g, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (cfg config) clientCredentials(ctx context.Context, c *http.Client, ep endpoints) (result, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	return cfg.phase(ctx, "client_credentials", -1, func(int) (op, error) {
		return func(ctx context.Context) error {
			var tr tokenResponse
			return postForm(ctx, c, ep.Token, cfg.clientID, cfg.clientSecret, form, &tr)
		}, nil
	})
}

func (cfg config) introspection(ctx context.Context, c *http.Client, ep endpoints) (result, error) {
	if ep.Introspection == "" {
		return result{}, errors.New("the provider publishes no introspection endpoint")
	}
	var tr tokenResponse
	if err := postForm(ctx, c, ep.Token, cfg.clientID, cfg.clientSecret, url.Values{"grant_type": {"client_credentials"}}, &tr); err != nil {
		return result{}, fmt.Errorf("token to introspect: %w", err)
	}
	form := url.Values{"token": {tr.AccessToken}}
	return cfg.phase(ctx, "introspection", -1, func(int) (op, error) {
		return func(ctx context.Context) error {
			var ir struct {
				Active bool `json:"active"`
			}
			if err := postForm(ctx, c, ep.Introspection, cfg.clientID, cfg.clientSecret, form, &ir); err != nil {
				return err
			}
			if !ir.Active {
				return errors.New("token reported inactive")
			}
			return nil
		}, nil
	})
}

// codeExchange signs the member in once, then collects codes through
// silent authorization requests on that session (the "authorize" row)
// and exchanges them as fast as the provider allows (the
// "authorization_code" row), so the exchange rate is not limited by the
// authorization requests. Each phase lasts at most the duration; the
// codes must outlive it (the provider's code lifetime).
func (cfg config) codeExchange(ctx context.Context, c *http.Client, ep endpoints) (authz, exchange result, err error) {
	b, err := newBrowser(c, cfg.target)
	if err != nil {
		return authz, exchange, err
	}
	p := newPKCE()
	code, err := signIn(ctx, b, cfg, ep, p)
	if err != nil {
		return authz, exchange, fmt.Errorf("sign in as %s: %w", cfg.username, err)
	}
	type grant struct {
		code string
		p    pkce
	}
	var mu sync.Mutex
	codes := []grant{{code, p}}
	authz, err = cfg.phase(ctx, "authorize", maxCodes, func(int) (op, error) {
		return func(ctx context.Context) error {
			p := newPKCE()
			code, err := authorize(ctx, b, cfg, ep, p)
			if err == nil {
				mu.Lock()
				codes = append(codes, grant{code, p})
				mu.Unlock()
			}
			return err
		}, nil
	})
	if err != nil {
		return authz, exchange, err
	}
	var next atomic.Int64
	exchange, err = cfg.phase(ctx, "authorization_code", len(codes), func(int) (op, error) {
		return func(ctx context.Context) error {
			g := codes[next.Add(1)-1]
			var tr tokenResponse
			return postForm(ctx, c, ep.Token, cfg.rpID, cfg.rpSecret, url.Values{
				"grant_type": {"authorization_code"}, "code": {g.code}, "redirect_uri": {cfg.redirect},
				"code_verifier": {g.p.verifier},
			}, &tr)
		}, nil
	})
	return authz, exchange, err
}

// refresh gives every worker its own refresh token (one sign-in, one code
// each) and rotates it as fast as the provider allows.
func (cfg config) refresh(ctx context.Context, c *http.Client, ep endpoints) (result, error) {
	b, err := newBrowser(c, cfg.target)
	if err != nil {
		return result{}, err
	}
	p := newPKCE()
	first, err := signIn(ctx, b, cfg, ep, p)
	if err != nil {
		return result{}, fmt.Errorf("sign in as %s: %w", cfg.username, err)
	}
	return cfg.phase(ctx, "refresh_token", -1, func(worker int) (op, error) {
		code := first
		if worker > 0 {
			p = newPKCE()
			if code, err = authorize(ctx, b, cfg, ep, p); err != nil {
				return nil, err
			}
		}
		var tr tokenResponse
		if err := postForm(ctx, c, ep.Token, cfg.rpID, cfg.rpSecret, url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cfg.redirect},
			"code_verifier": {p.verifier},
		}, &tr); err != nil {
			return nil, err
		}
		if tr.RefreshToken == "" {
			return nil, fmt.Errorf("no refresh token: the client and scope %q must allow one (offline_access)", cfg.scope)
		}
		rt := tr.RefreshToken
		return func(ctx context.Context) error {
			var tr tokenResponse
			if err := postForm(ctx, c, ep.Token, cfg.rpID, cfg.rpSecret, url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {rt},
			}, &tr); err != nil {
				return err
			}
			rt = tr.RefreshToken
			return nil
		}, nil
	})
}

// phase runs cfg.concurrency workers, each built by newOp before the
// clock starts, until the duration ends, the request budget (cfg.requests,
// or limit when not negative) is spent, or ctx is done.
func (cfg config) phase(ctx context.Context, name string, limit int, newOp func(worker int) (op, error)) (result, error) {
	ops := make([]op, cfg.concurrency)
	for i := range ops {
		var err error
		if ops[i], err = newOp(i); err != nil {
			return result{}, fmt.Errorf("prepare worker %d: %w", i, err)
		}
	}
	budget := int64(maxSamples)
	if cfg.requests > 0 {
		budget = int64(cfg.requests)
	}
	if limit >= 0 && int64(limit) < budget {
		budget = int64(limit)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var (
		taken    atomic.Int64
		failures atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
		lat      = make([][]time.Duration, cfg.concurrency)
	)
	start := time.Now()
	for i, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && taken.Add(1) <= budget {
				t := time.Now()
				err := o(ctx)
				if ctx.Err() != nil { // cut off by the end of the phase: not counted
					return
				}
				lat[i] = append(lat[i], time.Since(t))
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := result{Grant: name, Requests: len(all), Errors: int(failures.Load()), Seconds: elapsed.Seconds()}
	if len(all) > 0 {
		r.RPS = float64(len(all)) / elapsed.Seconds()
		r.P50, r.P95, r.P99 = ms(pct(all, 50)), ms(pct(all, 95)), ms(pct(all, 99))
	}
	if e, ok := firstErr.Load().(string); ok {
		r.FirstError = e
	}
	return r, nil
}

// pct is the p-th percentile of sorted (nearest rank).
func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
