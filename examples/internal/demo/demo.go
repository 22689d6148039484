// Package demo holds the start-up plumbing the example programs share:
// the main function, waiting for the provider (or the API) to come up, and
// serving until a signal.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Main runs a demo program: run gets the arguments and a text logger on
// standard error, and a context ended by SIGINT or SIGTERM. An error is
// printed prefixed with name and exits with status 1.
func Main(name string, run func(ctx context.Context, args []string, log *slog.Logger) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], slog.New(slog.NewTextHandler(os.Stderr, nil)))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// retryEvery is the pause between attempts: short enough that a demo
// started before the provider follows it within seconds.
const retryEvery = 2 * time.Second

// Retry calls f until it succeeds, ctx ends or timeout passes, so an app
// can start before the provider (docker compose starts them together).
func Retry(ctx context.Context, log *slog.Logger, timeout time.Duration, f func() error) error {
	return RetryWhile(ctx, log, timeout, func(error) bool { return true }, f)
}

// RetryWhile is Retry for the errors retryable accepts; any other error is
// returned at once.
func RetryWhile(ctx context.Context, log *slog.Logger, timeout time.Duration, retryable func(error) bool, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || !retryable(err) || time.Now().Add(retryEvery).After(deadline) {
			return err
		}
		log.Warn("not reachable yet, retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryEvery):
		}
	}
}

// Unreachable reports whether err means no connection could be made, as
// when the server is still starting (or still compiling under go run),
// rather than an answer from it.
func Unreachable(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Connect builds what an app serves with newApp, which reaches the
// provider (discovery, JWKS), retrying for a minute while it fails.
func Connect[T any](ctx context.Context, log *slog.Logger, newApp func() (T, error)) (T, error) {
	var app T
	err := Retry(ctx, log, time.Minute, func() error {
		var err error
		app, err = newApp()
		return err
	})
	return app, err
}

// Server returns an HTTP server for addr with the timeouts every demo app
// uses; writeTimeout is the app's own, since pages that call the provider
// take longer than API answers.
func Server(addr string, h http.Handler, writeTimeout time.Duration) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       time.Minute,
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
