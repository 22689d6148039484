package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/idp/idp"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestWrapUnavailable: an error that says the database could not be
// reached or did not answer in time wraps idp.ErrUnavailable, so the
// provider answers 503 temporarily_unavailable; an error the database
// answered with does not.
func TestWrapUnavailable(t *testing.T) {
	s := &Store{dialect: postgresDialect}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, idp.ErrUnavailable},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), idp.ErrUnavailable},
		{"lost mid-statement", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), idp.ErrUnavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, idp.ErrUnavailable},
		{"starting up", &pgconn.PgError{Code: "57P03"}, idp.ErrUnavailable},
		{"connection failure", &pgconn.PgError{Code: "08006"}, idp.ErrUnavailable},
		{"too many connections", &pgconn.PgError{Code: "53300"}, idp.ErrUnavailable},
		{"unique violation", &pgconn.PgError{Code: "23505"}, idp.ErrConflict},
		{"syntax error", &pgconn.PgError{Code: "42601"}, nil},
		{"canceled by the client", context.Canceled, nil},
	} {
		err := s.wrap("op", tc.err)
		for _, sentinel := range []error{idp.ErrUnavailable, idp.ErrConflict, idp.ErrNotFound} {
			if got := errors.Is(err, sentinel); got != (sentinel == tc.want) {
				t.Errorf("%s: errors.Is(%v, %v) = %v", tc.name, err, sentinel, got)
			}
		}
	}
}
