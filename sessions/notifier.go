package sessions

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// Event is the event a logout token carries (OpenID Connect Back-Channel
// Logout 1.0 §2.4).
const Event = "http://schemas.openid.net/event/backchannel-logout"

// SignFunc signs a JWT with the provider's current key, with the given
// claims and extra header fields. It is a function rather than the
// provider's signer so this package needs neither fosite nor the
// provider.
type SignFunc func(ctx context.Context, claims, header map[string]any) (string, error)

// NotifierConfig is what the Notifier needs, named rather than reached
// through the provider.
type NotifierConfig struct {
	Store  *storage.Store
	Log    *slog.Logger
	Now    func() time.Time
	Issuer string
	Sign   SignFunc
	// Poll is how often the outbox is read without being woken (retries,
	// logouts queued by another replica or by the command line);
	// RetryBase is the wait after a first failed delivery, each further
	// failure waiting four times longer; MaxAttempts bounds the attempts
	// of one delivery.
	Poll        time.Duration
	RetryBase   time.Duration
	MaxAttempts int
	// Delivery, when set, is told the outcome of every attempt:
	// "delivered", "failed" (to be retried) or "dropped" (no attempts
	// left); metrics counts them.
	Delivery func(result string)
}

// Notifier delivers logout tokens to clients from the store's outbox,
// apart from the logout that owes them, so a slow or dead client never
// holds up the member. A delivery is written in the transaction that ends
// the session (End), so it is made even when the provider restarts
// before it succeeds, and sessions ended by the command line are
// announced by whichever replica runs the notifier first. Failed attempts
// are retried with exponential backoff, up to a bound, then dropped with
// an error in the log.
type Notifier struct {
	NotifierConfig
	client *http.Client
	// wake asks the worker to look at the outbox now rather than at its
	// next poll: a logout in this process has just written to it.
	wake chan struct{}
	// slots bounds the deliveries in flight, so a burst of logouts to
	// hanging clients cannot open connections without limit.
	slots chan struct{}
	// inflight counts the deliveries under way, which Run waits for.
	inflight sync.WaitGroup
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

// NewNotifier returns a notifier; Run starts it.
func NewNotifier(cfg NotifierConfig) *Notifier {
	return &Notifier{
		NotifierConfig: cfg,
		client: &http.Client{
			Timeout:       deliveryTimeout,
			Transport:     &http.Transport{DialContext: dialLocalhost, Proxy: http.ProxyFromEnvironment},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		wake:  make(chan struct{}, 1),
		slots: make(chan struct{}, deliveriesInFlight),
	}
}

// Notify wakes the notifier after a logout wrote deliveries; it never
// blocks.
func (b *Notifier) Notify() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run delivers what is due at start (deliveries owed before a restart),
// then whenever woken or every poll interval, until stop is closed; it
// returns once the deliveries under way have finished.
func (b *Notifier) Run(stop <-chan struct{}) {
	defer b.inflight.Wait()
	t := time.NewTicker(b.Poll)
	defer t.Stop()
	for {
		b.deliverDue(stop)
		select {
		case <-stop:
			return
		case <-b.wake:
		case <-t.C:
		}
	}
}

// retryDelay is the wait after the attempts-th failed attempt:
// base, 4·base, 16·base ... capped at maxRetryDelay.
func (b *Notifier) retryDelay(attempts int) time.Duration {
	d := b.RetryBase
	for i := 1; i < attempts && d < maxRetryDelay; i++ {
		d *= 4
	}
	return min(d, maxRetryDelay)
}

// deliverDue claims and starts every delivery now due.
func (b *Notifier) deliverDue(stop <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), outboxPassTimeout)
	defer cancel()
	due, err := b.Store.Outbox.Due(ctx, b.Now(), outboxBatch)
	if err != nil {
		b.Log.Error("back-channel logout: read outbox", "err", err)
		return
	}
	for _, d := range due {
		select {
		case b.slots <- struct{}{}:
		case <-stop:
			return
		}
		// The claim holds the delivery for longer than an attempt can
		// take; should this process die mid-attempt, it is retried then.
		if err := b.Store.Outbox.Claim(ctx, d, b.Now().Add(2*deliveryTimeout)); err != nil {
			<-b.slots
			if !errors.Is(err, idp.ErrConflict) && !errors.Is(err, idp.ErrNotFound) {
				b.Log.Error("back-channel logout: claim", "client", d.ClientID, "err", err)
			}
			continue
		}
		d.Attempts++
		b.inflight.Add(1)
		go func() {
			defer b.inflight.Done()
			defer func() { <-b.slots }()
			b.attempt(d)
		}()
	}
}

// attempt makes one delivery attempt of d (already counted) and records
// the outcome: deleted on success or when attempts run out, else
// rescheduled after the backoff.
func (b *Notifier) attempt(d idp.LogoutDelivery) {
	ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	defer cancel()
	token, err := b.logoutToken(d.MemberID, d.SessionID, d.ClientID)
	if err == nil {
		err = b.post(d.URI, token)
	}
	switch {
	case err == nil:
		b.outcome("delivered")
		b.Log.Info("back-channel logout delivered", "client", d.ClientID, "attempts", d.Attempts)
	case d.Attempts >= b.MaxAttempts:
		b.outcome("dropped")
		b.Log.Error("back-channel logout dropped after the last attempt", "client", d.ClientID,
			"attempts", d.Attempts, "err", err)
	default:
		b.outcome("failed")
		next := b.Now().Add(b.retryDelay(d.Attempts))
		b.Log.Warn("back-channel logout attempt failed", "client", d.ClientID, "attempt", d.Attempts,
			"retry_at", next, "err", err)
		if err := b.Store.Outbox.Reschedule(ctx, d.ID, next); err != nil {
			b.Log.Error("back-channel logout: reschedule", "client", d.ClientID, "err", err)
		}
		return
	}
	if err := b.Store.Outbox.Delete(ctx, d.ID); err != nil {
		b.Log.Error("back-channel logout: remove from outbox", "client", d.ClientID, "err", err)
	}
}

// logoutToken builds and signs the token of §2.4: iss, sub, aud, iat, exp,
// jti, sid and events; never a nonce. typ logout+jwt (§2.4, as the
// security considerations recommend) keeps it apart from ID tokens. It is
// minted at each attempt, so a delivery retried late still carries a
// fresh iat and exp.
func (b *Notifier) logoutToken(memberID, sessionID, clientID string) (string, error) {
	now := b.Now().UTC()
	claims := map[string]any{
		"iss": b.Issuer, "sub": memberID, "aud": []string{clientID},
		"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": randomID(),
		"sid": sessionID, "events": map[string]any{Event: map[string]any{}},
	}
	token, err := b.Sign(context.Background(), claims, map[string]any{"typ": "logout+jwt"})
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
func (b *Notifier) post(uri, token string) error {
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

// randomID is a fresh unguessable identifier (a token's jti).
func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// outcome tells Delivery, when set, the result of an attempt.
func (b *Notifier) outcome(result string) {
	if b.Delivery != nil {
		b.Delivery(result)
	}
}
