package provider

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp"
)

// backchannelEvent is the event a logout token carries (OpenID Connect
// Back-Channel Logout 1.0 §2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// backchannel delivers logout tokens to clients in the background, so a
// slow or dead client never holds up the member's logout. Each delivery is
// retried with backoff; failures are logged.
type backchannel struct {
	p      *Provider
	client *http.Client
	// delays between attempts; the first attempt is immediate.
	delays []time.Duration
}

func newBackchannel(p *Provider) *backchannel {
	return &backchannel{
		p: p,
		client: &http.Client{
			Timeout:       5 * time.Second,
			Transport:     &http.Transport{DialContext: dialLocalhost, Proxy: http.ProxyFromEnvironment},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		delays: []time.Duration{time.Second, 4 * time.Second, 15 * time.Second, time.Minute},
	}
}

// notify sends a logout token for session s to each of clientIDs that
// registered a back-channel logout URI.
func (b *backchannel) notify(s idp.Session, clientIDs []string) {
	for _, id := range clientIDs {
		c, err := b.p.store.Clients.ByID(context.Background(), id)
		if err != nil || c.BackchannelLogoutURI == "" {
			continue
		}
		token, err := b.logoutToken(s, c.ID)
		if err != nil {
			b.p.log.Error("back-channel logout: sign token", "client", c.ID, "err", err)
			continue
		}
		b.p.wg.Add(1)
		go func(uri, clientID string) {
			defer b.p.wg.Done()
			b.deliver(uri, clientID, token)
		}(c.BackchannelLogoutURI, c.ID)
	}
}

// logoutToken builds and signs the token of §2.4: iss, sub, aud, iat, exp,
// jti, sid and events; never a nonce. typ logout+jwt (§2.4, as the
// security considerations recommend) keeps it apart from ID tokens.
func (b *backchannel) logoutToken(s idp.Session, clientID string) (string, error) {
	now := b.p.cfg.Now().UTC()
	claims := jwt.MapClaims{
		"iss": b.p.cfg.Issuer, "sub": s.MemberID, "aud": []string{clientID},
		"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": randomToken(),
		"sid": s.ID, "events": map[string]interface{}{backchannelEvent: map[string]interface{}{}},
	}
	header := &jwt.Headers{Extra: map[string]interface{}{"typ": "logout+jwt"}}
	token, _, err := (&signer{keys: b.p.keys}).Generate(context.Background(), claims, header)
	return token, err
}

func (b *backchannel) deliver(uri, clientID, token string) {
	for attempt := 0; ; attempt++ {
		err := b.post(uri, token)
		if err == nil {
			b.p.log.Info("back-channel logout delivered", "client", clientID)
			return
		}
		if attempt >= len(b.delays) {
			b.p.log.Error("back-channel logout failed", "client", clientID, "attempts", attempt+1, "err", err)
			return
		}
		b.p.log.Warn("back-channel logout attempt failed", "client", clientID, "attempt", attempt+1, "err", err)
		select {
		case <-b.p.stop:
			b.p.log.Error("back-channel logout abandoned at shutdown", "client", clientID)
			return
		case <-time.After(b.delays[attempt]):
		}
	}
}

// dialLocalhost resolves "localhost" and every name under it to the
// loopback address, as RFC 6761 §6.3 says they are, browsers do, and Go's
// resolver does not: apps on app.localhost receive their logout tokens.
func dialLocalhost(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && (strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost")) {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
}

// post sends the token as §2.5 describes; any 2xx is success.
func (b *backchannel) post(uri, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), b.client.Timeout)
	defer cancel()
	body := url.Values{"logout_token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
