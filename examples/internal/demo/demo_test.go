package demo

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/idp/idp/internal/idptest"
)

func TestUnreachable(t *testing.T) {
	_, err := http.Get("http://" + idptest.FreeAddr(t) + "/")
	if !Unreachable(err) {
		t.Errorf("Unreachable(%v) = false; want true for a refused connection", err)
	}
	if Unreachable(errors.New("oidc: 404 Not Found")) {
		t.Error("an answer from the server counted as unreachable")
	}
}

func TestRetryWhile(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	final := errors.New("final")
	calls := 0
	err := RetryWhile(context.Background(), log, time.Minute, func(err error) bool { return err != final }, func() error {
		calls++
		return final
	})
	if err != final || calls != 1 {
		t.Fatalf("RetryWhile = %v after %d calls; want the final error after one", err, calls)
	}
	calls = 0
	start := time.Now()
	err = RetryWhile(context.Background(), log, 0, func(error) bool { return true }, func() error {
		calls++
		return errors.New("refused")
	})
	if err == nil || calls != 1 || time.Since(start) > time.Second {
		t.Fatalf("RetryWhile with no time = %v after %d calls; want one try", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := RetryWhile(ctx, log, time.Minute, func(error) bool { return true }, func() error { return errors.New("x") }); !errors.Is(err, context.Canceled) {
		t.Fatalf("RetryWhile after cancel = %v; want context.Canceled", err)
	}
}
