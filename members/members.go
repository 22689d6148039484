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
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

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
// so only an explicit choice makes an administrator. It also puts the
// standard claims in their stored form (NormalizeProfile).
func Normalize(m *idp.Member) {
	if m.Role == "" {
		m.Role = idp.RoleMember
	}
	NormalizeProfile(&m.Profile)
}

// Check reports every problem with a member's profile. label turns a field
// name ("email", "username", "name", "role") into the name of the setting
// it came from, such as a bootstrap file key or a flag, so each message
// points at what to fix.
func Check(m idp.Member, label func(string) string) []error {
	var errs []error
	for _, p := range problems(m) {
		errs = append(errs, fmt.Errorf("%s: %s", label(p.Field), p.Msg))
	}
	return errs
}

// Validate reports every problem with a member's profile, joined with
// errors.Join, each a *FieldError naming the field as the bootstrap file
// does; nil when the profile is valid.
func Validate(m idp.Member) error {
	var errs []error
	for _, p := range problems(m) {
		errs = append(errs, p)
	}
	return errors.Join(errs...)
}

// FieldError is one broken member rule. Field is the bootstrap file's name
// of the field. It wraps idp.ErrInvalid.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap lets callers test for idp.ErrInvalid.
func (e *FieldError) Unwrap() error { return idp.ErrInvalid }

func problems(m idp.Member) []*FieldError {
	var errs []*FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if a, err := mail.ParseAddress(m.Email); err != nil || a.Address != m.Email || a.Name != "" {
		add("email", "%q is not a plain email address", m.Email)
	} else if len(m.Email) > MaxEmailBytes {
		add("email", "must be at most %d bytes", MaxEmailBytes)
	}
	if !usernamePattern.MatchString(m.Username) {
		add("username", "%q: must be 1 to 64 letters, digits, '.', '_' or '-'", m.Username)
	}
	if len(m.Name) > MaxNameBytes {
		add("name", "must be at most %d bytes", MaxNameBytes)
	} else if msg := checkText(m.Name, MaxNameBytes, false); msg != "" && !strings.Contains(msg, "spaces") {
		add("name", "%s", msg)
	}
	if _, err := idp.ParseRole(string(m.Role)); err != nil {
		add("role", "%q: want %q or %q", m.Role, idp.RoleAdmin, idp.RoleMember)
	}
	return append(errs, ValidateProfile(m.Profile)...)
}

// ErrDisabled means the member is disabled and may not sign in.
var ErrDisabled = errors.New("member is disabled")

// CanSignIn reports whether m may start a session: nil, or an error
// wrapping ErrDisabled. The sign-in form calls it after the password
// checks out, so it answers a disabled member exactly as a wrong password
// and does not tell a guesser that the password was right.
func CanSignIn(m idp.Member) error {
	if m.Disabled {
		return fmt.Errorf("member %s: %w", m.ID, ErrDisabled)
	}
	return nil
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
