package main

import (
	"fmt"
	"net/mail"
	"regexp"

	"github.com/idp/idp"
	"github.com/idp/idp/password"
)

// maxEmailBytes is RFC 5321's limit on an address, and below what the
// sign-in form accepts, so every member can sign in by email.
const maxEmailBytes = 254

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// checkMember reports every problem with a member's profile. label turns a
// field name into the name of the setting it came from: the bootstrap file
// key, or the flag.
func checkMember(m idp.Member, label func(string) string) []error {
	var errs []error
	if a, err := mail.ParseAddress(m.Email); err != nil || a.Address != m.Email || a.Name != "" {
		errs = append(errs, fmt.Errorf("%s: %q is not a plain email address", label("email"), m.Email))
	} else if len(m.Email) > maxEmailBytes {
		errs = append(errs, fmt.Errorf("%s: must be at most %d bytes", label("email"), maxEmailBytes))
	}
	if !usernamePattern.MatchString(m.Username) {
		errs = append(errs, fmt.Errorf("%s: %q: must be 1 to 64 letters, digits, '.', '_' or '-'", label("username"), m.Username))
	}
	if len(m.Name) > 200 {
		errs = append(errs, fmt.Errorf("%s: must be at most 200 bytes", label("name")))
	}
	if _, err := idp.ParseRole(string(m.Role)); err != nil {
		errs = append(errs, fmt.Errorf("%s: %q: want %q or %q", label("role"), m.Role, idp.RoleAdmin, idp.RoleMember))
	}
	return errs
}

// checkPassword applies password.Check with a message naming the field and
// never the password.
func checkPassword(pw, field string) error {
	if password.Check(pw) != nil {
		return fmt.Errorf("%s: must be %d to %d characters", field, password.MinLength, password.MaxLength)
	}
	return nil
}

func fieldName(f string) string { return f }
