package idp

import (
	"fmt"
	"time"
)

// Role is what a member may do beyond signing in. It is published in the
// "roles" claim when the client asks for the roles scope.
type Role string

// The roles a member can hold.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// ParseRole accepts exactly the known role names, so a typo in a bootstrap
// file or a CLI flag is refused rather than stored.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleMember:
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q: want %q or %q", ErrInvalid, s, RoleAdmin, RoleMember)
}

// Member is a person who signs in. ID is the stable subject ("sub") of every
// token issued to them: it never changes, even when the email or username
// does.
type Member struct {
	ID       string
	Email    string // unique, compared case-insensitively
	Username string // unique
	Name     string // display name
	// PasswordHash is a PHC-formatted hash (package password); the password
	// itself is never stored.
	PasswordHash string
	Role         Role
	// Disabled members cannot sign in; their account, subject and consents
	// are kept so that enabling them again restores access.
	Disabled bool
	// EmailVerified is true once the member followed a verification link
	// sent to Email, or an administrator vouched for the address; the
	// email_verified claim publishes it.
	EmailVerified bool
	// MFARequired makes the member enrol a second factor at their next
	// sign-in before they may continue.
	MFARequired bool
	// Profile holds the optional OpenID Connect standard claims.
	Profile   Profile
	CreatedAt time.Time
	UpdatedAt time.Time
}
