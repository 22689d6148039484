package idp

import "time"

// MailTokenKind is what a link sent by mail lets its holder do. A token
// is accepted only for its own kind, so a verification link cannot set a
// password.
type MailTokenKind string

// The kinds of mailed links.
const (
	// MailTokenReset sets a new password for a member who forgot theirs.
	MailTokenReset MailTokenKind = "reset"
	// MailTokenVerify proves the member reads the address it was sent to.
	MailTokenVerify MailTokenKind = "verify"
	// MailTokenInvite sets an invited member's first password.
	MailTokenInvite MailTokenKind = "invite"
)

// MailToken is a single-use link sent by mail. Only the hash of the token
// is stored, so a copy of the database opens no account. It is bound to
// the member and to the address it was sent to: once the member's address
// changes, the link is refused.
type MailToken struct {
	Hash      string
	Kind      MailTokenKind
	MemberID  string
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
}
