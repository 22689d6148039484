package idp

import "time"

// DeviceStatus is where a device authorization stands (RFC 8628 §3.5).
type DeviceStatus string

// The states of a device authorization: the member has not answered yet,
// allowed it, or denied it; or the device has redeemed it for tokens,
// which it may do once.
const (
	DevicePending  DeviceStatus = "pending"
	DeviceApproved DeviceStatus = "approved"
	DeviceDenied   DeviceStatus = "denied"
	DeviceUsed     DeviceStatus = "used"
)

// DeviceGrant is one device authorization request (RFC 8628 §3.1): a
// device asked on behalf of a client, and a member answers on another
// screen by entering the user code. Neither code is stored: the device
// code by its hash, the user code by an HMAC under the system secret, so
// a copy of the database redeems nothing.
type DeviceGrant struct {
	ID             string
	DeviceCodeHash string
	UserCodeHash   string
	ClientID       string
	// Scopes are the scopes requested; Audience the audience requested.
	Scopes   []string
	Audience []string
	Status   DeviceStatus
	// Interval is the minimum wait between two polls; it grows by five
	// seconds at every slow_down (RFC 8628 §3.5).
	Interval time.Duration
	// LastPolled is the last poll, or CreatedAt before the first.
	LastPolled time.Time
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// MemberID, SessionID and AuthTime are who approved or denied, in
	// which browser session, and when they last signed in; set with the
	// answer.
	MemberID  string
	SessionID string
	AuthTime  time.Time
	// AnsweredAt is when the member allowed or denied the request.
	AnsweredAt time.Time
}
