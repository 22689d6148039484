package oauth

import (
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"

	"github.com/idp/idp"
)

// KDFRetryAfter is what a request refused for want of a derivation slot is
// told to wait: a slot frees within tens of milliseconds, and a second is
// long enough to spread a burst of retries.
const KDFRetryAfter = time.Second

// RetryAfter carries how long a refused request should wait, for the
// Retry-After header (RFC 9110 §10.2.3).
type RetryAfter struct {
	Wait time.Duration
	Err  error
}

func (e RetryAfter) Error() string { return fmt.Sprintf("retry after %v: %v", e.Wait, e.Err) }
func (e RetryAfter) Unwrap() error { return e.Err }

// Unavailable is temporarily_unavailable (503) for a request refused
// before it was checked, carrying the wait for Retry-After.
func Unavailable(wait time.Duration, cause error) error {
	return fosite.ErrTemporarilyUnavailable.WithHint("The server is busy; retry later.").
		WithWrap(RetryAfter{Wait: wait, Err: cause}).WithDebug(cause.Error())
}

// msgUnavailable is the description of a temporarily_unavailable answer
// for an unreachable store.
const msgUnavailable = "The service is temporarily unavailable; try again shortly."

// StoreUnavailable turns an error that says the store could not be reached
// into fosite's temporarily_unavailable (RFC 6749 §4.1.2.1), whatever
// fosite wrapped it in (a failed client lookup becomes invalid_client, any
// other store error server_error): the client did nothing wrong and may
// retry. Other errors pass unchanged.
func StoreUnavailable(err error) error {
	if !errors.Is(err, idp.ErrUnavailable) {
		return err
	}
	return fosite.ErrTemporarilyUnavailable.WithHint(msgUnavailable).
		WithWrap(RetryAfter{Wait: idp.UnavailableRetryAfter, Err: err}).WithDebug(err.Error())
}
