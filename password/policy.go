package password

import (
	"fmt"
	"unicode/utf8"

	"github.com/idp/idp"
)

// Length limits of a member's password, in characters. The minimum is the
// one NIST SP 800-63B §5.1.1.2 sets for memorized secrets chosen by the
// subscriber; the maximum is far above the 64 it asks verifiers to accept
// and only stops absurd inputs.
const (
	MinLength = 8
	MaxLength = 1024
)

// Check reports whether pw may be set as a member's password. The error
// wraps idp.ErrInvalid and never contains the password. Client secrets are
// not checked: they are generated, or set by an operator on purpose.
func Check(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinLength || n > MaxLength {
		return fmt.Errorf("%w: password must be %d to %d characters, got %d", idp.ErrInvalid, MinLength, MaxLength, n)
	}
	return nil
}
