package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
)

// Bounds on fetching a client's jwks_uri. An attacker controls neither the
// URL (registered by an operator or checked at registration) nor its
// answer's effect beyond its own client, but a slow or huge answer must
// not hold a token request, and an unknown kid must not turn every
// request into a fetch.
const (
	jwksFetchTimeout = 5 * time.Second
	// jwksCacheTTL is how long fetched keys are used without asking again.
	jwksCacheTTL = 10 * time.Minute
	// jwksRefetchAfter is the least time between two fetches of one URL,
	// even for an unknown kid: a client rotating keys waits this long.
	jwksRefetchAfter = 30 * time.Second
	maxCachedJWKS    = 1000
)

// keySource gives a private_key_jwt client's public keys: its inline set,
// or the set at its jwks_uri, fetched and cached.
type keySource struct {
	now func() time.Time
	// public fetches from https URLs and refuses every address that is
	// not public; loopback fetches from loopback URLs and refuses every
	// address that is not loopback.
	public, loopback *http.Client

	mu      sync.Mutex
	fetched map[string]fetchedKeys
}

type fetchedKeys struct {
	set jose.JSONWebKeySet
	at  time.Time
}

func newKeySource(now func() time.Time) *keySource {
	return &keySource{
		now: now, fetched: map[string]fetchedKeys{},
		public:   guardedClient(func(a netip.Addr) bool { return isPublic(a) }),
		loopback: guardedClient(func(a netip.Addr) bool { return a.IsLoopback() }),
	}
}

// isPublic reports whether a is an address on the internet: not loopback,
// private (RFC 1918, RFC 4193), link-local (cloud metadata services),
// unspecified or multicast.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast()
}

// guardedClient checks the address actually dialled, after DNS, so a name
// resolving to an internal address (or rebinding to one) is refused. It
// follows no redirect and uses no proxy, which would dial for it.
func guardedClient(allowed func(netip.Addr) bool) *http.Client {
	dialer := &net.Dialer{Timeout: jwksFetchTimeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !allowed(ap.Addr()) {
			return fmt.Errorf("jwks_uri: address %s refused", address)
		}
		return nil
	}}
	return &http.Client{
		Timeout: jwksFetchTimeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, port, err := net.SplitHostPort(addr)
				if err == nil && (strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost")) {
					addr = net.JoinHostPort("127.0.0.1", port) // RFC 6761 §6.3
				}
				return dialer.DialContext(ctx, network, addr)
			},
			TLSHandshakeTimeout:   jwksFetchTimeout,
			ResponseHeaderTimeout: jwksFetchTimeout,
			MaxIdleConns:          10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// keys returns c's key set. refresh asks for a new fetch of a jwks_uri
// (an unknown kid), granted at most once per jwksRefetchAfter.
func (s *keySource) keys(ctx context.Context, c idp.Client, refresh bool) (jose.JSONWebKeySet, error) {
	if c.JWKSURI == "" {
		set, msg := clients.ParseJWKS([]byte(c.JWKS))
		if msg != "" {
			return set, fmt.Errorf("client %s: jwks: %s", c.ID, msg)
		}
		return set, nil
	}
	now := s.now()
	s.mu.Lock()
	f, ok := s.fetched[c.JWKSURI]
	s.mu.Unlock()
	if ok && now.Sub(f.at) < jwksCacheTTL && (!refresh || now.Sub(f.at) < jwksRefetchAfter) {
		return f.set, nil
	}
	set, err := s.fetch(ctx, c.JWKSURI)
	if err != nil {
		return set, fmt.Errorf("client %s: %w", c.ID, err)
	}
	s.mu.Lock()
	if len(s.fetched) >= maxCachedJWKS {
		clear(s.fetched)
	}
	s.fetched[c.JWKSURI] = fetchedKeys{set: set, at: now}
	s.mu.Unlock()
	return set, nil
}

// fetch GETs a key set: https (or http to a loopback host), within
// jwksFetchTimeout and clients.MaxJWKSBytes.
func (s *keySource) fetch(ctx context.Context, raw string) (jose.JSONWebKeySet, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks_uri: %w", err)
	}
	hc := s.public
	switch {
	case u.Scheme == "http" && clients.IsLoopbackHost(u.Hostname()):
		hc = s.loopback
	case u.Scheme == "https" && clients.IsLoopbackHost(u.Hostname()):
		hc = s.loopback
	case u.Scheme != "https":
		return jose.JSONWebKeySet{}, errors.New("jwks_uri: not https")
	}
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks_uri: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks_uri: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks_uri: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, clients.MaxJWKSBytes+1))
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks_uri: %w", err)
	}
	set, msg := clients.ParseJWKS(body)
	if msg != "" {
		return set, fmt.Errorf("jwks_uri: %s", msg)
	}
	return set, nil
}
