package idp

import "time"

// Passkey is a WebAuthn credential a member registered (W3C WebAuthn
// Level 3 §6.1, §6.5): the key an authenticator holds for this provider,
// which signs a fresh challenge at every use. The public key is stored
// as the authenticator gave it (COSE); nothing secret is kept.
type Passkey struct {
	// ID is the credential id the authenticator chose, base64url without
	// padding; unique across members.
	ID       string
	MemberID string
	// Name is the member's label for it ("Laptop", "Phone").
	Name string
	// PublicKey is the COSE_Key, base64url without padding.
	PublicKey string
	// AttestationType is the attestation format registration carried
	// ("none" for most passkeys).
	AttestationType string
	// AAGUID names the authenticator model, base64url; all zeros for
	// authenticators that do not say.
	AAGUID string
	// SignCount is the authenticator's signature counter after the last
	// use (WebAuthn §6.1.1); zero for authenticators without one, such as
	// synced passkeys.
	SignCount uint32
	// Transports are the ways the browser reached the authenticator
	// ("internal", "usb", "hybrid", ...).
	Transports []string
	// BackupEligible is fixed at registration: the credential may be
	// synced to other devices (a software key); BackupState says it is.
	BackupEligible, BackupState bool
	// UserVerified says registration verified the user (PIN, biometric).
	UserVerified bool
	CreatedAt    time.Time
	// LastUsedAt is zero until the first sign-in.
	LastUsedAt time.Time
}

// WebAuthnChallenge is the server's half of one WebAuthn ceremony between
// its options and the authenticator's answer: the session data the
// relying party library needs to verify the answer. It is used once and
// bound to what started it, a sign-in flow or a session.
type WebAuthnChallenge struct {
	ID string
	// Binding is what the challenge belongs to: "flow:" and the flow id
	// for a sign-in, "session:" and the session id for a registration.
	// Each binding holds at most one challenge.
	Binding string
	// BrowserHash and AddrHash are digests of the browser binding and the
	// client address, by which live challenges are bounded.
	BrowserHash, AddrHash string
	// Data is the library's session data (JSON); it holds the challenge
	// and the checks the answer must pass.
	Data      string
	CreatedAt time.Time
	ExpiresAt time.Time
}
