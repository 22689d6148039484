// Package demo holds the start-up plumbing the example programs share:
// waiting for the provider to come up, and serving until a signal.
package demo

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Retry calls f until it succeeds, ctx ends or timeout passes, so an app
// can start before the provider (docker compose starts them together).
func Retry(ctx context.Context, log *slog.Logger, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		log.Warn("provider not reachable yet, retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// Serve runs srv until ctx ends, then shuts it down gracefully.
func Serve(ctx context.Context, srv *http.Server) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
