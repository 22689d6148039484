package registration

import (
	"errors"
	"fmt"
	"slices"

	"github.com/idp/idp/clients"
)

// Mode says who may register clients at the registration endpoint.
type Mode string

// The modes of the registration endpoint.
const (
	// Off serves no registration endpoint and advertises none: clients
	// are registered by the operator only. The default.
	Off Mode = "off"
	// Token lets a request register one client with an initial access
	// token the operator created (RFC 7591 §3, "protected" registration).
	Token Mode = "token"
	// Open lets anyone register a client (RFC 7591 §3, "open"
	// registration), within the scope allow-list and the same rules.
	Open Mode = "open"
)

// ParseMode reads a mode; the empty string is Off.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return Off, nil
	case Off, Token, Open:
		return m, nil
	}
	return "", fmt.Errorf("%q: want off, token or open", s)
}

// Config is the registration endpoint's part of the provider's settings.
type Config struct {
	// Mode is who may register; the zero value is Off.
	Mode Mode
	// Scopes are the only scopes a self-registered client may ask for;
	// nil means clients.DefaultRegistrationScopes. idp:admin is refused.
	Scopes []string
}

// Enabled reports whether the endpoint is served.
func (c Config) Enabled() bool { return c.Mode == Token || c.Mode == Open }

// AllowedScopes returns the allow-list in effect, as a new slice.
func (c Config) AllowedScopes() []string {
	if c.Scopes == nil {
		return slices.Clone(clients.DefaultRegistrationScopes)
	}
	return slices.Clone(c.Scopes)
}

// Validate reports every problem at once, naming the setting.
func (c Config) Validate() error {
	var errs []error
	if _, err := ParseMode(string(c.Mode)); err != nil {
		errs = append(errs, fmt.Errorf("registration: %w", err))
	}
	if err := clients.ValidateRegistrationScopes("registration scopes", c.AllowedScopes()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
