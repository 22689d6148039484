package password

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ErrBusy means a derivation was refused because every slot was taken and
// the queue was full or the wait ran out. Callers answer it with 503 and
// Retry-After (RFC 9110 §15.6.4) or OAuth's temporarily_unavailable: the
// request was not checked, so it is neither accepted nor refused.
var ErrBusy = errors.New("password: too many key derivations in flight")

// Limiter bounds the Argon2id derivations running at once. Each derivation
// holds memoryKiB (19 MiB) and a core for tens of milliseconds, and anyone
// can start one by sending a wrong password or client secret, so without a
// bound a few hundred concurrent requests take gigabytes of memory. Slots
// match the cores: more derivations than cores only share the CPU and add
// memory. A short queue absorbs bursts; a request that cannot get a slot
// within the wait is refused with ErrBusy rather than piling up.
//
// The methods of a nil *Limiter derive without any bound (for the CLI). A
// Limiter is safe for concurrent use.
type Limiter struct {
	slots chan struct{}
	queue int64
	wait  time.Duration

	waiting  atomic.Int64
	inFlight atomic.Int64
	peak     atomic.Int64
	derived  atomic.Int64
	refused  atomic.Int64
	// waited sums the nanoseconds requests spent queued for a slot.
	waited atomic.Int64
}

// NewLimiter returns a Limiter running at most slots derivations at once,
// with at most queue requests waiting for a slot, each for at most wait.
// slots below 1 count as 1; queue below 0 as 0.
func NewLimiter(slots, queue int, wait time.Duration) *Limiter {
	return &Limiter{slots: make(chan struct{}, max(slots, 1)), queue: int64(max(queue, 0)), wait: wait}
}

// LimiterStats is a snapshot of a Limiter's counters, for metrics and for
// tests that prove the bound holds.
type LimiterStats struct {
	// InFlight and Waiting are the derivations running and queued now.
	InFlight, Waiting int64
	// Peak is the most derivations ever running at once.
	Peak int64
	// Derivations counts the derivations run; Refused the ErrBusy answers.
	Derivations, Refused int64
	// Waited is the total time requests spent queued for a slot, whether
	// they got one or were refused; with Derivations it gives the mean
	// wait a metric can alert on before requests start failing.
	Waited time.Duration
}

// Stats returns the counters. A nil Limiter reports zeros.
func (l *Limiter) Stats() LimiterStats {
	if l == nil {
		return LimiterStats{}
	}
	return LimiterStats{
		InFlight: l.inFlight.Load(), Waiting: l.waiting.Load(), Peak: l.peak.Load(),
		Derivations: l.derived.Load(), Refused: l.refused.Load(), Waited: time.Duration(l.waited.Load()),
	}
}

// Verify is the package's Verify run in a slot. A malformed hash is
// reported without taking one; a refusal is an error wrapping ErrBusy.
func (l *Limiter) Verify(ctx context.Context, hash, pw string) (bool, error) {
	p, err := parse(hash)
	if err != nil {
		return false, err
	}
	var key []byte
	if err := l.run(ctx, func() { key = p.derive(pw) }); err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// VerifyDummy is the package's VerifyDummy run in a slot: it costs what a
// failed Verify costs, including waiting for a slot and being refused, so
// an unknown account or client looks like a known one under load too.
func (l *Limiter) VerifyDummy(ctx context.Context, pw string) error {
	return l.run(ctx, func() { VerifyDummy(pw) })
}

// Hash is the package's Hash run in a slot.
func (l *Limiter) Hash(ctx context.Context, pw string) (string, error) {
	var h string
	var err error
	if e := l.run(ctx, func() { h, err = Hash(pw) }); e != nil {
		return "", e
	}
	return h, err
}

// run calls derive once a slot is free.
func (l *Limiter) run(ctx context.Context, derive func()) error {
	if l == nil {
		derive()
		return nil
	}
	if err := l.acquire(ctx); err != nil {
		l.refused.Add(1)
		return err
	}
	n := l.inFlight.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			break
		}
	}
	l.derived.Add(1)
	defer func() {
		l.inFlight.Add(-1)
		<-l.slots
	}()
	derive()
	return nil
}

// acquire takes a slot, queueing for at most l.wait when none is free and
// fewer than l.queue requests are already queued.
func (l *Limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	if l.waiting.Add(1) > l.queue {
		l.waiting.Add(-1)
		return fmt.Errorf("%w: queue full", ErrBusy)
	}
	defer l.waiting.Add(-1)
	start := time.Now()
	defer func() { l.waited.Add(int64(time.Since(start))) }()
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-t.C:
		return fmt.Errorf("%w: no slot within %v", ErrBusy, l.wait)
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
}
