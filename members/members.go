// Package members holds the rules for the people who sign in: what a valid
// profile and password are, the defaults a new member gets, and the
// operations that change a member (create, create-or-update, set the
// password, remove) with the sessions they must end.
//
// Every writer of members (the command line, the bootstrap loader, any
// administrative API) goes through this package, so a stored member is
// always one who can sign in, and a changed password or a removal always
// ends the sessions obtained before it.
package members

import (
	"fmt"
	"net/mail"
	"regexp"

	"github.com/idp/idp"
	"github.com/idp/idp/password"
)

// MaxEmailBytes is RFC 5321's limit on an address, and below what the
// sign-in form accepts, so every member can sign in by email.
const MaxEmailBytes = 254

// MaxNameBytes bounds the display name, which appears on every page and in
// ID tokens.
const MaxNameBytes = 200

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Normalize fills the defaults a profile may leave out: the member role,
// so only an explicit choice makes an administrator.
func Normalize(m *idp.Member) {
	if m.Role == "" {
		m.Role = idp.RoleMember
	}
}

// Check reports every problem with a member's profile. label turns a field
// name ("email", "username", "name", "role") into the name of the setting
// it came from, such as a bootstrap file key or a flag, so each message
// points at what to fix.
func Check(m idp.Member, label func(string) string) []error {
	var errs []error
	if a, err := mail.ParseAddress(m.Email); err != nil || a.Address != m.Email || a.Name != "" {
		errs = append(errs, fmt.Errorf("%s: %q is not a plain email address", label("email"), m.Email))
	} else if len(m.Email) > MaxEmailBytes {
		errs = append(errs, fmt.Errorf("%s: must be at most %d bytes", label("email"), MaxEmailBytes))
	}
	if !usernamePattern.MatchString(m.Username) {
		errs = append(errs, fmt.Errorf("%s: %q: must be 1 to 64 letters, digits, '.', '_' or '-'", label("username"), m.Username))
	}
	if len(m.Name) > MaxNameBytes {
		errs = append(errs, fmt.Errorf("%s: must be at most %d bytes", label("name"), MaxNameBytes))
	}
	if _, err := idp.ParseRole(string(m.Role)); err != nil {
		errs = append(errs, fmt.Errorf("%s: %q: want %q or %q", label("role"), m.Role, idp.RoleAdmin, idp.RoleMember))
	}
	return errs
}

// CheckPassword applies password.Check with a message naming field and
// never the password.
func CheckPassword(pw, field string) error {
	if password.Check(pw) != nil {
		return fmt.Errorf("%s: must be %d to %d characters", field, password.MinLength, password.MaxLength)
	}
	return nil
}

// Field is the label for Check that keeps the field names as they are,
// which are also the keys of the bootstrap file.
func Field(f string) string { return f }
