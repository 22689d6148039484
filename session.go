package idp

import "time"

// Session is a member's signed-in browser at the provider. The browser holds
// an opaque token in a cookie; the store keeps only its hash, so a leaked
// database does not leak live sessions.
type Session struct {
	// ID is the public session identifier, published as the "sid" claim
	// of ID tokens and logout tokens.
	ID        string
	TokenHash string
	MemberID  string
	// AuthTime is when the member last entered their password; "auth_time"
	// and max_age are computed from it.
	AuthTime time.Time
	// AMR lists the authentication methods (RFC 8176 values) used at
	// AuthTime, and ACR the assurance level they reach; SSO reuses them.
	AMR []string
	ACR string
	// UserAgent and Address describe the browser that signed in, for the
	// member's list of their sessions.
	UserAgent  string
	Address    string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end of the session; the idle limit is
	// checked against LastSeenAt by the provider.
	ExpiresAt time.Time
}

// Consent records that a member allowed a client the listed scopes, so the
// consent page is not shown again for them until it is revoked.
type Consent struct {
	MemberID  string
	ClientID  string
	Scopes    []string
	GrantedAt time.Time
}

// Flow is an authorization request waiting for the member to sign in or
// consent. It is stored, not kept in memory, so a login survives a restart
// of the provider and may finish on another replica.
type Flow struct {
	ID string
	// CSRFHash is the hash of the token the login and consent forms carry.
	CSRFHash string
	ClientID string
	// Params holds the original authorization request, URL-encoded, so it
	// can be validated again when the flow completes.
	Params string
	// AddrHash is a digest of the address the request came from; the
	// live flows per address are bounded by it.
	AddrHash string
	// MemberID and AuthTime are set once the member has signed in during
	// this flow; SessionID names the browser session used or created.
	MemberID  string
	SessionID string
	AuthTime  time.Time
	// PendingMemberID is the member who passed the first factor of this
	// flow and must still pass a second; AMR lists the methods passed so
	// far. The member is signed in (MemberID) only when every required
	// factor is done.
	PendingMemberID string
	AMR             []string
	CreatedAt       time.Time
	ExpiresAt       time.Time
}

// LocalFlow reports whether f signs in to one of the provider's own pages
// (account, console) rather than for a client: it has no client.
func (f Flow) LocalFlow() bool { return f.ClientID == "" }

// LogoutDelivery is a back-channel logout (OpenID Connect Back-Channel
// Logout 1.0) still owed to a client: the session that ended and where to
// post the logout token. It is stored with the session's end, so it
// outlives a restart, and removed when delivered or given up.
type LogoutDelivery struct {
	ID        string
	ClientID  string
	URI       string
	MemberID  string // the token's "sub"
	SessionID string // the token's "sid"
	// Attempts counts the deliveries tried; NextAttemptAt is when the next
	// may start.
	Attempts      int
	NextAttemptAt time.Time
	CreatedAt     time.Time
}

// PushedRequest is an authorization request a client pushed (RFC 9126),
// waiting to be used once at the authorization endpoint. Only the hash of
// its request_uri is stored: the URI is a bearer reference to the request.
type PushedRequest struct {
	Hash     string
	ClientID string
	// Request is the validated request, serialised by the provider.
	Request   string
	ExpiresAt time.Time
}

// Authentication method references (RFC 8176 §2) the provider records in
// sessions and publishes in the amr claim.
const (
	AMRPassword = "pwd"
	AMROTP      = "otp"
	AMRMFA      = "mfa"
	// AMRHardwareKey and AMRSoftwareKey are a passkey proven by a device
	// (hwk) or kept in software (swk); AMRUser is user presence or
	// verification (a PIN or biometric) at the authenticator.
	AMRHardwareKey = "hwk"
	AMRSoftwareKey = "swk"
	AMRUser        = "user"
	AMRFederated   = "fed"
)
