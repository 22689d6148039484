package members

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // zoneinfo is checked against the IANA database even on an image without one
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/idp/idp"
)

// Bounds of the profile claims (OpenID Connect Core §5.1). They travel in
// every ID token and userinfo answer of a client granted their scope, so
// each is bounded well above real values and well below what would bloat a
// token: a whole profile stays under 8 KiB.
const (
	// MaxProfileTextBytes bounds the name parts, the nickname and each
	// address field.
	MaxProfileTextBytes = 200
	// MaxGenderBytes bounds the free-text gender (§5.1 allows any value).
	MaxGenderBytes = 64
	// MaxProfileURLBytes bounds picture and website; browsers and proxies
	// handle 2,048-byte URLs everywhere.
	MaxProfileURLBytes = 2048
	// MaxFormattedAddressBytes bounds the full mailing address, which may
	// span lines.
	MaxFormattedAddressBytes = 1000
	// MaxZoneinfoBytes and MaxLocaleBytes bound the identifiers before
	// they are looked up; the longest IANA zone name has 32 bytes.
	MaxZoneinfoBytes = 64
	MaxLocaleBytes   = 64
)

// e164 is an E.164 number as §5.1 recommends for phone_number: "+", a
// country code not starting with 0, at most 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// birthdatePattern is YYYY-MM-DD or YYYY (§5.1); 0000 as the year means
// the year is withheld.
var birthdatePattern = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$`)

// NormalizeProfile puts p in its stored form: the locale as its canonical
// BCP 47 tag ("en_us" becomes "en-US") and an address without any field as
// no address. Values it cannot parse are left for ValidateProfile to name.
func NormalizeProfile(p *idp.Profile) {
	if p.Locale != "" && len(p.Locale) <= MaxLocaleBytes {
		if tag, err := language.Parse(p.Locale); err == nil {
			p.Locale = tag.String()
		}
	}
	if p.Address != nil && *p.Address == (idp.Address{}) {
		p.Address = nil
	}
}

// ValidateProfile reports every problem with a profile, each a *FieldError
// named by the claim ("birthdate", "address.locality"). Empty fields are
// absent claims and always valid. It is part of Validate and Check, so
// every writer of members applies it.
func ValidateProfile(p idp.Profile) []*FieldError {
	var errs []*FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	text := func(field, v string, limit int, lines bool) bool {
		if msg := checkText(v, limit, lines); msg != "" {
			add(field, "%s", msg)
			return false
		}
		return true
	}
	text("given_name", p.GivenName, MaxProfileTextBytes, false)
	text("family_name", p.FamilyName, MaxProfileTextBytes, false)
	text("middle_name", p.MiddleName, MaxProfileTextBytes, false)
	text("nickname", p.Nickname, MaxProfileTextBytes, false)
	text("gender", p.Gender, MaxGenderBytes, false)
	for _, u := range [...]struct{ field, v string }{{"picture", p.Picture}, {"website", p.Website}} {
		if text(u.field, u.v, MaxProfileURLBytes, false) && u.v != "" {
			if msg := checkHTTPS(u.v); msg != "" {
				add(u.field, "%s", msg)
			}
		}
	}
	if text("birthdate", p.Birthdate, 10, false) && p.Birthdate != "" && !validBirthdate(p.Birthdate) {
		add("birthdate", "%q: want a real date as YYYY-MM-DD, a year as YYYY, or 0000-MM-DD without the year", p.Birthdate)
	}
	if text("zoneinfo", p.Zoneinfo, MaxZoneinfoBytes, false) && p.Zoneinfo != "" && !validZone(p.Zoneinfo) {
		add("zoneinfo", "%q is not a time zone of the IANA database, such as Europe/Paris", p.Zoneinfo)
	}
	if text("locale", p.Locale, MaxLocaleBytes, false) && p.Locale != "" {
		tag, err := language.Parse(p.Locale)
		switch {
		case err != nil || tag == language.Und:
			add("locale", "%q is not a BCP 47 language tag, such as en-GB", p.Locale)
		case tag.String() != p.Locale:
			add("locale", "%q: write it as %q", p.Locale, tag.String())
		}
	}
	if p.PhoneNumber != "" && !e164.MatchString(p.PhoneNumber) {
		add("phone_number", "%q: want an E.164 number: +, the country code and the number, digits only, at most 15", clip(p.PhoneNumber))
	}
	if p.PhoneNumberVerified && p.PhoneNumber == "" {
		add("phone_number_verified", "there is no phone_number to be verified")
	}
	if a := p.Address; a != nil {
		text("address.formatted", a.Formatted, MaxFormattedAddressBytes, true)
		text("address.street_address", a.StreetAddress, MaxProfileTextBytes, true)
		text("address.locality", a.Locality, MaxProfileTextBytes, false)
		text("address.region", a.Region, MaxProfileTextBytes, false)
		text("address.postal_code", a.PostalCode, MaxProfileTextBytes, false)
		text("address.country", a.Country, MaxProfileTextBytes, false)
	}
	return errs
}

// checkText is the rule of every profile string: valid UTF-8, at most
// limit bytes, no control characters except line breaks where lines is
// set (§5.1.1 lets street_address and formatted span lines), and no
// leading or trailing space, which would be invisible on every page.
func checkText(v string, limit int, lines bool) string {
	switch {
	case !utf8.ValidString(v):
		return "is not valid UTF-8"
	case len(v) > limit:
		return fmt.Sprintf("must be at most %d bytes", limit)
	case strings.TrimSpace(v) != v:
		return "must not start or end with spaces"
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(lines && (r == '\n' || r == '\r')) {
			return "must not contain control characters"
		}
	}
	return ""
}

// checkHTTPS accepts an absolute https URL with a host and without
// credentials; an http or javascript: URL in a token would be fetched or
// shown by relying parties as if the provider vouched for it.
func checkHTTPS(v string) string {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "https" || u.Host == "" || u.Opaque != "":
		return "must be an https URL, such as https://example.com/me"
	case u.User != nil:
		return "must not contain a user name or password"
	}
	return ""
}

func validBirthdate(s string) bool {
	if !birthdatePattern.MatchString(s) {
		return false
	}
	if len(s) == 4 {
		return s != "0000"
	}
	// A withheld year is checked in a leap year, so 0000-02-29 passes.
	d := s
	if strings.HasPrefix(s, "0000-") {
		d = "2000" + s[4:]
	}
	t, err := time.Parse(time.DateOnly, d)
	return err == nil && t.Format(time.DateOnly) == d
}

// validZone accepts names of the IANA database: time.LoadLocation also
// takes "Local", which means the server's own zone, not a zone name.
func validZone(s string) bool {
	if s == "Local" || strings.HasPrefix(s, "/") || strings.Contains(s, "..") {
		return false
	}
	_, err := time.LoadLocation(s)
	return err == nil
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:40] + "…"
}
