package provider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// backchannelEvent is the event a logout token carries (OpenID Connect
// Back-Channel Logout 1.0 §2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// backchannel delivers logout tokens to clients from the store's outbox,
// apart from the logout that owes them, so a slow or dead client never
// holds up the member. A delivery is written in the transaction that ends
// the session (endSessions), so it is made even when the provider
// restarts before it succeeds, and sessions ended by the command line are
// announced by whichever replica runs the worker first. Failed attempts
// are retried with exponential backoff, up to a bound, then dropped with
// an error in the log.
type backchannel struct {
	backchannelDeps
	client *http.Client
	// wake asks the worker to look at the outbox now rather than at its
	// next poll: a logout in this process has just written to it.
	wake chan struct{}
	// slots bounds the deliveries in flight, so a burst of logouts to
	// hanging clients cannot open connections without limit.
	slots chan struct{}
}

// Limits of the outbox worker.
const (
	// deliveryTimeout bounds one POST; a client that takes longer is
	// treated as down and tried again later.
	deliveryTimeout = 5 * time.Second
	// outboxBatch is how many due deliveries one pass reads.
	outboxBatch = 50
	// outboxPassTimeout bounds the store calls of one pass of the worker.
	outboxPassTimeout = time.Minute
	// deliveriesInFlight bounds concurrent POSTs per replica.
	deliveriesInFlight = 8
	// maxRetryDelay caps the backoff: a client down for hours is still
	// tried hourly until the attempts run out.
	maxRetryDelay = time.Hour
)

// backchannelDeps is what the worker needs, named rather than reached
// through the provider.
type backchannelDeps struct {
	store  *storage.Store
	log    *slog.Logger
	now    func() time.Time
	issuer string
	signer *signer
	// poll, retryBase and maxAttempts are Config.Backchannel*.
	poll        time.Duration
	retryBase   time.Duration
	maxAttempts int
	// stop ends the worker; wg counts it and its deliveries in flight.
	stop <-chan struct{}
	wg   *sync.WaitGroup
}

func newBackchannel(deps backchannelDeps) *backchannel {
	return &backchannel{
		backchannelDeps: deps,
		client: &http.Client{
			Timeout:       deliveryTimeout,
			Transport:     &http.Transport{DialContext: dialLocalhost, Proxy: http.ProxyFromEnvironment},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		wake:  make(chan struct{}, 1),
		slots: make(chan struct{}, deliveriesInFlight),
	}
}

// notify wakes the worker after a logout wrote deliveries.
func (b *backchannel) notify() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// run is the worker: it delivers what is due at start (deliveries owed
// before a restart), then whenever woken or every poll interval.
func (b *backchannel) run() {
	defer b.wg.Done()
	t := time.NewTicker(b.poll)
	defer t.Stop()
	for {
		b.deliverDue()
		select {
		case <-b.stop:
			return
		case <-b.wake:
		case <-t.C:
		}
	}
}

// retryDelay is the wait after the attempts-th failed attempt:
// base, 4·base, 16·base ... capped at maxRetryDelay.
func (b *backchannel) retryDelay(attempts int) time.Duration {
	d := b.retryBase
	for i := 1; i < attempts && d < maxRetryDelay; i++ {
		d *= 4
	}
	return min(d, maxRetryDelay)
}

// deliverDue claims and starts every delivery now due.
func (b *backchannel) deliverDue() {
	ctx, cancel := context.WithTimeout(context.Background(), outboxPassTimeout)
	defer cancel()
	due, err := b.store.Outbox.Due(ctx, b.now(), outboxBatch)
	if err != nil {
		b.log.Error("back-channel logout: read outbox", "err", err)
		return
	}
	for _, d := range due {
		select {
		case b.slots <- struct{}{}:
		case <-b.stop:
			return
		}
		// The claim holds the delivery for longer than an attempt can
		// take; should this process die mid-attempt, it is retried then.
		if err := b.store.Outbox.Claim(ctx, d, b.now().Add(2*deliveryTimeout)); err != nil {
			<-b.slots
			if !errors.Is(err, idp.ErrConflict) && !errors.Is(err, idp.ErrNotFound) {
				b.log.Error("back-channel logout: claim", "client", d.ClientID, "err", err)
			}
			continue
		}
		d.Attempts++
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer func() { <-b.slots }()
			b.attempt(d)
		}()
	}
}

// attempt makes one delivery attempt of d (already counted) and records
// the outcome: deleted on success or when attempts run out, else
// rescheduled after the backoff.
func (b *backchannel) attempt(d idp.LogoutDelivery) {
	ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	defer cancel()
	token, err := b.logoutToken(d.MemberID, d.SessionID, d.ClientID)
	if err == nil {
		err = b.post(d.URI, token)
	}
	switch {
	case err == nil:
		b.log.Info("back-channel logout delivered", "client", d.ClientID, "attempts", d.Attempts)
	case d.Attempts >= b.maxAttempts:
		b.log.Error("back-channel logout dropped after the last attempt", "client", d.ClientID,
			"attempts", d.Attempts, "err", err)
	default:
		next := b.now().Add(b.retryDelay(d.Attempts))
		b.log.Warn("back-channel logout attempt failed", "client", d.ClientID, "attempt", d.Attempts,
			"retry_at", next, "err", err)
		if err := b.store.Outbox.Reschedule(ctx, d.ID, next); err != nil {
			b.log.Error("back-channel logout: reschedule", "client", d.ClientID, "err", err)
		}
		return
	}
	if err := b.store.Outbox.Delete(ctx, d.ID); err != nil {
		b.log.Error("back-channel logout: remove from outbox", "client", d.ClientID, "err", err)
	}
}

// logoutToken builds and signs the token of §2.4: iss, sub, aud, iat, exp,
// jti, sid and events; never a nonce. typ logout+jwt (§2.4, as the
// security considerations recommend) keeps it apart from ID tokens. It is
// minted at each attempt, so a delivery retried late still carries a
// fresh iat and exp.
func (b *backchannel) logoutToken(memberID, sessionID, clientID string) (string, error) {
	now := b.now().UTC()
	claims := jwt.MapClaims{
		"iss": b.issuer, "sub": memberID, "aud": []string{clientID},
		"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": randomToken(),
		"sid": sessionID, "events": map[string]interface{}{backchannelEvent: map[string]interface{}{}},
	}
	header := &jwt.Headers{Extra: map[string]interface{}{"typ": "logout+jwt"}}
	token, _, err := b.signer.Generate(context.Background(), claims, header)
	if err != nil {
		return "", fmt.Errorf("sign logout token: %w", err)
	}
	return token, nil
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
