package idp

import (
	"errors"
	"time"
)

// Sentinel errors shared by every layer. Stores wrap them with context;
// callers compare with errors.Is and map them to protocol errors in one place
// (provider/errors.go).
var (
	// ErrNotFound means the record does not exist (or has expired and was
	// removed).
	ErrNotFound = errors.New("not found")

	// ErrConflict means the write lost to another one: a unique value is
	// taken, or a conditional update found the row already changed (a code
	// redeemed or a refresh token rotated by a concurrent request). Retrying
	// the whole operation may succeed; repeating the write will not.
	ErrConflict = errors.New("conflict")

	// ErrInvalid means the input breaks a domain rule. It is wrapped with a
	// message that names the field.
	ErrInvalid = errors.New("invalid")

	// ErrLimit means a write was refused because it would exceed a bound
	// set to protect the store, such as the live flows per address.
	// Retrying later, once older records expire, may succeed.
	ErrLimit = errors.New("limit reached")

	// ErrUnavailable means the store could not be reached or did not answer
	// in time: the database is down, restarting or overloaded. Nothing was
	// changed that the caller can rely on; the same request may succeed
	// once the database is back.
	ErrUnavailable = errors.New("store unavailable")
)

// DuplicateError means a record could not be written because another one
// already holds a value that must be unique. Its message names the value in
// the operator's terms ("a member with email x already exists"), never the
// database constraint. It wraps ErrConflict.
type DuplicateError struct {
	Kind  string // "member", "client"
	Field string // "email", "username", "id"
	Value string
}

func (e *DuplicateError) Error() string {
	return "a " + e.Kind + " with " + e.Field + " " + e.Value + " already exists"
}

// Unwrap lets callers test for ErrConflict.
func (e *DuplicateError) Unwrap() error { return ErrConflict }

// UnavailableRetryAfter is the wait an answer to ErrUnavailable advises
// (Retry-After): a database restart or failover usually completes within
// a few seconds.
const UnavailableRetryAfter = 2 * time.Second
