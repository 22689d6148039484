package idptest

import (
	"bytes"
	"log/slog"
	"os"
	"sync"
	"testing"
)

// Logger discards server logs, or writes them all to stderr when
// IDP_TEST_LOG is set: most tests provoke errors on purpose, and their
// logs would bury the failure that matters.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("IDP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// FailureLogger collects server logs and prints them only when the test
// fails: for scenarios where the logs of several servers explain a
// failure.
func FailureLogger(t testing.TB) *slog.Logger {
	t.Helper()
	buf := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
