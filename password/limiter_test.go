package password

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLimiterBound: with every slot held, a request beyond the queue is
// refused at once, a queued one runs when a slot frees, and one that waits
// too long is refused; nothing derives beyond the slots.
func TestLimiterBound(t *testing.T) {
	l := NewLimiter(2, 1, time.Hour)
	ctx := context.Background()
	release := make(chan struct{})
	held := make(chan struct{})
	for range 2 {
		go func() { _ = l.run(ctx, func() { held <- struct{}{}; <-release }) }()
		<-held
	}
	queued := make(chan error)
	go func() { queued <- l.run(ctx, func() {}) }()
	for l.Stats().Waiting != 1 {
		time.Sleep(time.Millisecond)
	}
	const queuedFor = 20 * time.Millisecond
	time.Sleep(queuedFor)
	if err := l.run(ctx, func() { t.Error("derived beyond the queue") }); !errors.Is(err, ErrBusy) {
		t.Fatalf("beyond the queue: %v, want ErrBusy", err)
	}
	release <- struct{}{}
	if err := <-queued; err != nil {
		t.Fatalf("queued request: %v", err)
	}
	close(release)
	for l.Stats().InFlight != 0 {
		time.Sleep(time.Millisecond)
	}
	s := l.Stats()
	if s.Peak != 2 || s.Derivations != 3 || s.Refused != 1 {
		t.Fatalf("stats = %+v, want peak 2, 3 derivations, 1 refusal", s)
	}
	if s.Waited < queuedFor {
		t.Errorf("waited = %v, want at least the %v the queued request spent queued", s.Waited, queuedFor)
	}

	short := NewLimiter(1, 1, time.Millisecond)
	block := make(chan struct{})
	go func() { _ = short.run(ctx, func() { held <- struct{}{}; <-block }) }()
	<-held
	if err := short.run(ctx, func() {}); !errors.Is(err, ErrBusy) {
		t.Fatalf("after the wait: %v, want ErrBusy", err)
	}
	close(block)
}

// TestLimiterVerify: Verify through a limiter answers as Verify does.
func TestLimiterVerify(t *testing.T) {
	h, err := Hash("right")
	if err != nil {
		t.Fatal(err)
	}
	l := NewLimiter(1, 0, time.Second)
	for pw, want := range map[string]bool{"right": true, "wrong": false} {
		if ok, err := l.Verify(context.Background(), h, pw); err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	if _, err := l.Verify(context.Background(), "not a hash", "x"); !errors.Is(err, ErrMalformedHash) {
		t.Errorf("malformed hash: %v", err)
	}
	if l.Stats().Derivations != 2 {
		t.Errorf("derivations = %d, want 2 (a malformed hash derives nothing)", l.Stats().Derivations)
	}
}
