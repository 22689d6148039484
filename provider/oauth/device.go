package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ory/fosite"

	"github.com/idp/idp"
)

// SlowDownStep is what a poll that came too early adds to the interval
// (RFC 8628 §3.5).
const SlowDownStep = 5 * time.Second

// maxCodeDraws bounds the retries when a fresh user code collides with a
// live one: with 20^8 codes, even a second draw is rare.
const maxCodeDraws = 5

// DeviceAuthorization is what the device authorization endpoint answers
// (RFC 8628 §3.2), without the URIs, which are the provider's.
type DeviceAuthorization struct {
	DeviceCode string
	// UserCode is normalised; FormatUserCode shows it.
	UserCode  string
	ExpiresIn time.Duration
	Interval  time.Duration
}

// StartDevice stores a device authorization for client c, which has
// authenticated and registered the device_code grant: scopes must be
// among its registered ones and audience among its audience, else
// invalid_scope or invalid_request. Neither code is stored in clear.
func (e *Engine) StartDevice(ctx context.Context, c Client, scopes, audience []string) (DeviceAuthorization, error) {
	if !slices.Contains(c.GrantTypes, idp.GrantDeviceCode) {
		return DeviceAuthorization{}, fosite.ErrUnauthorizedClient.WithHint("The client is not registered for the device_code grant.")
	}
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return DeviceAuthorization{}, fosite.ErrInvalidScope.WithHintf("The client may not ask for the scope %q.", s)
		}
	}
	for _, a := range audience {
		if !slices.Contains(c.GetAudience(), a) {
			return DeviceAuthorization{}, fosite.ErrInvalidRequest.WithHintf("The client may not ask for the audience %q.", a)
		}
	}
	now := e.cfg.Now().UTC()
	for range maxCodeDraws {
		da := DeviceAuthorization{
			DeviceCode: rand.Text() + rand.Text(), UserCode: newUserCode(),
			ExpiresIn: e.cfg.DeviceCodeLifespan, Interval: e.cfg.DeviceInterval,
		}
		g := idp.DeviceGrant{
			DeviceCodeHash: hashDeviceCode(da.DeviceCode), UserCodeHash: e.hashUserCode(da.UserCode),
			ClientID: c.ID, Scopes: scopes, Audience: audience, Status: idp.DevicePending,
			Interval: da.Interval, CreatedAt: now, LastPolled: now, ExpiresAt: now.Add(da.ExpiresIn),
		}
		err := e.cfg.Store.DeviceGrants.Create(ctx, &g)
		if errors.Is(err, idp.ErrConflict) {
			continue // a live grant holds this user code: draw again
		}
		if err != nil {
			return DeviceAuthorization{}, fosite.ErrServerError.WithWrap(err).WithDebug(describe(err))
		}
		return da, nil
	}
	return DeviceAuthorization{}, fosite.ErrTemporarilyUnavailable.WithHint("No free user code was found; try again.")
}

// DeviceGrantByUserCode finds the grant of a user code as typed, expired
// or not; anything that cannot be a code, or names no grant, is an error
// wrapping idp.ErrNotFound.
func (e *Engine) DeviceGrantByUserCode(ctx context.Context, typed string) (idp.DeviceGrant, error) {
	code, ok := NormalizeUserCode(typed)
	if !ok {
		return idp.DeviceGrant{}, fmt.Errorf("user code: %w", idp.ErrNotFound)
	}
	return e.cfg.Store.DeviceGrants.ByUserCodeHash(ctx, e.hashUserCode(code))
}

// hashUserCode keys the user code with a secret-derived key: a user code
// is short enough that a plain hash could be reversed by trying them all.
func (e *Engine) hashUserCode(code string) string {
	m := hmac.New(sha256.New, e.userCodeKey)
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// hashDeviceCode is the SHA-256 hex under which a device code is stored:
// the code has 260 random bits, so no key is needed.
func hashDeviceCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}
