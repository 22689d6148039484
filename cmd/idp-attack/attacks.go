package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// The demo bootstrap's clients the attacks name. The secrets sent are
// always wrong, so the real ones need not be known.
const (
	serviceClient = "demo-service"
	webClient     = "app-a"
	webRedirect   = "http://app-a.localhost:5555/callback"
)

// client is an HTTP client that keeps a connection per request in flight
// and stops at the first redirect leaving the provider.
func client(jar http.CookieJar, conc int) *http.Client {
	return &http.Client{
		Jar:       jar,
		Timeout:   2 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxIdleConns: conc},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Hostname() != "127.0.0.1" {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// tally counts answers by status; safe for concurrent use.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func (t *tally) add(k string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[k]++
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	for k, n := range t.n {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// waves sends rounds waves of conc concurrent requests built by req, and
// tallies the answers.
func waves(ctx context.Context, c *http.Client, conc, rounds int, req func(i int) *http.Request) string {
	var t tally
	for round := range rounds {
		var wg sync.WaitGroup
		for i := range conc {
			wg.Go(func() {
				resp, err := c.Do(req(round*conc + i).WithContext(ctx))
				if err != nil {
					t.add("error")
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				t.add(fmt.Sprint(resp.StatusCode))
			})
		}
		wg.Wait()
	}
	return t.String()
}

// wrongSecrets sends client_credentials requests with wrong secrets for
// the demo service client, each a different secret.
func wrongSecrets(ctx context.Context, s *server, cfg config) (string, error) {
	c := client(nil, cfg.conc)
	return waves(ctx, c, cfg.conc, cfg.rounds, func(i int) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, s.issuer+"/oauth2/token",
			strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(serviceClient, fmt.Sprintf("wrong-secret-%d", i))
		return r
	}), nil
}

// wrongLogins posts wrong passwords, half for a demo member and half for
// names that exist nowhere (which cost the same), through one login flow.
func wrongLogins(ctx context.Context, s *server, cfg config) (string, error) {
	form, c, err := loginFlow(ctx, s, cfg.conc)
	if err != nil {
		return "", err
	}
	return waves(ctx, c, cfg.conc, cfg.rounds, func(i int) *http.Request {
		if i%2 == 0 {
			return form.post("alice", fmt.Sprintf("wrong-password-%d", i))
		}
		return form.post(fmt.Sprintf("nobody-%d", i), "wrong-password")
	}), nil
}

// hugeLogins posts failed sign-ins whose usernames are cfg.hugeSize bytes,
// each a different name, cfg.conc at a time.
func hugeLogins(ctx context.Context, s *server, cfg config) (string, error) {
	form, c, err := loginFlow(ctx, s, cfg.conc)
	if err != nil {
		return "", err
	}
	conc := min(cfg.conc, cfg.hugeCount)
	rounds := (cfg.hugeCount + conc - 1) / conc
	pad := strings.Repeat("x", cfg.hugeSize-16)
	return waves(ctx, c, conc, rounds, func(i int) *http.Request {
		return form.post(fmt.Sprintf("%s%016d", pad, i), "wrong-password")
	}), nil
}

// loginForm is a login page's hidden fields, posted many times.
type loginForm struct {
	action string
	hidden url.Values
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// loginFlow starts an authorization request for the demo web client and
// returns its login form with a client holding the flow's cookies.
func loginFlow(ctx context.Context, s *server, conc int) (*loginForm, *http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := client(jar, conc)
	verifier := random()
	challenge := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id": {webClient}, "response_type": {"code"}, "redirect_uri": {webRedirect},
		"scope": {"openid"}, "state": {random()}, "nonce": {random()},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(challenge[:])}, "code_challenge_method": {"S256"},
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.issuer+"/oauth2/authorize?"+q.Encode(), nil)
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("login flow: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	f := &loginForm{action: resp.Request.URL.ResolveReference(&url.URL{Path: "/login"}).String(), hidden: url.Values{}}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(body), -1) {
		f.hidden.Set(m[1], m[2])
	}
	if f.hidden.Get("flow") == "" {
		return nil, nil, fmt.Errorf("login flow: no login form (status %d)", resp.StatusCode)
	}
	return f, c, nil
}

func (f *loginForm) post(user, pass string) *http.Request {
	v := url.Values{"username": {user}, "password": {pass}}
	for k, vs := range f.hidden {
		v[k] = vs
	}
	r, _ := http.NewRequest(http.MethodPost, f.action, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
