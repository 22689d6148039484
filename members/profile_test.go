package members_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
)

// fullProfile has every standard claim set to a valid value.
func fullProfile() idp.Profile {
	return idp.Profile{
		GivenName: "Alice", FamilyName: "Example", MiddleName: "Q", Nickname: "Al",
		Picture: "https://example.com/alice.png", Website: "https://alice.example.com/",
		Gender: "female", Birthdate: "1990-02-28", Zoneinfo: "Europe/Paris", Locale: "en-GB",
		PhoneNumber: "+33123456789", PhoneNumberVerified: true,
		Address: &idp.Address{Formatted: "1 Rue X\n75001 Paris", StreetAddress: "1 Rue X", Locality: "Paris",
			Region: "IDF", PostalCode: "75001", Country: "FR"},
	}
}

func TestValidateProfileAccepts(t *testing.T) {
	for name, p := range map[string]idp.Profile{
		"empty":          {},
		"full":           fullProfile(),
		"year only":      {Birthdate: "1985"},
		"withheld year":  {Birthdate: "0000-02-29"},
		"leap day":       {Birthdate: "2024-02-29"},
		"UTC":            {Zoneinfo: "UTC"},
		"zone":           {Zoneinfo: "America/Argentina/Buenos_Aires"},
		"script locale":  {Locale: "zh-Hant-TW"},
		"short phone":    {PhoneNumber: "+12"},
		"unicode name":   {GivenName: "Zoë", FamilyName: "Ñúñez"},
		"address alone":  {Address: &idp.Address{Country: "DE"}},
		"url with query": {Picture: "https://cdn.example.com/p.png?s=64"},
	} {
		if errs := members.ValidateProfile(p); len(errs) != 0 {
			t.Errorf("%s: ValidateProfile(%+v) = %v; want none", name, p, errs)
		}
	}
}

func TestValidateProfileRefuses(t *testing.T) {
	long := strings.Repeat("x", members.MaxProfileTextBytes+1)
	for _, c := range []struct {
		field string
		p     idp.Profile
	}{
		{"birthdate", idp.Profile{Birthdate: "1990-02-30"}},
		{"birthdate", idp.Profile{Birthdate: "2023-02-29"}},
		{"birthdate", idp.Profile{Birthdate: "0000"}},
		{"birthdate", idp.Profile{Birthdate: "0000-13-01"}},
		{"birthdate", idp.Profile{Birthdate: "1990-1-1"}},
		{"birthdate", idp.Profile{Birthdate: "01/02/1990"}},
		{"birthdate", idp.Profile{Birthdate: "1990-01-01T00:00:00Z"}},
		{"zoneinfo", idp.Profile{Zoneinfo: "Mars/Olympus"}},
		{"zoneinfo", idp.Profile{Zoneinfo: "Local"}},
		{"zoneinfo", idp.Profile{Zoneinfo: "../../etc/passwd"}},
		{"zoneinfo", idp.Profile{Zoneinfo: "/etc/localtime"}},
		{"locale", idp.Profile{Locale: "not a locale"}},
		{"locale", idp.Profile{Locale: "und"}},
		{"locale", idp.Profile{Locale: "en_gb"}}, // not normalized: Normalize would write en-GB
		{"picture", idp.Profile{Picture: "http://example.com/a.png"}},
		{"picture", idp.Profile{Picture: "javascript:alert(1)"}},
		{"picture", idp.Profile{Picture: "https:///nohost"}},
		{"website", idp.Profile{Website: "https://user:pw@example.com/"}},
		{"website", idp.Profile{Website: "https://example.com/" + strings.Repeat("a", members.MaxProfileURLBytes)}},
		{"phone_number", idp.Profile{PhoneNumber: "0123456789"}},
		{"phone_number", idp.Profile{PhoneNumber: "+0123"}},
		{"phone_number", idp.Profile{PhoneNumber: "+1 555 0100"}},
		{"phone_number", idp.Profile{PhoneNumber: "+1234567890123456"}},
		{"phone_number_verified", idp.Profile{PhoneNumberVerified: true}},
		{"gender", idp.Profile{Gender: strings.Repeat("g", members.MaxGenderBytes+1)}},
		{"given_name", idp.Profile{GivenName: long}},
		{"given_name", idp.Profile{GivenName: "A\x00B"}},
		{"family_name", idp.Profile{FamilyName: "\xff\xfe"}},
		{"middle_name", idp.Profile{MiddleName: " padded"}},
		{"nickname", idp.Profile{Nickname: "line\nbreak"}},
		{"address.locality", idp.Profile{Address: &idp.Address{Locality: long}}},
		{"address.country", idp.Profile{Address: &idp.Address{Country: "F\tR"}}},
	} {
		errs := members.ValidateProfile(c.p)
		if len(errs) != 1 || errs[0].Field != c.field {
			t.Errorf("ValidateProfile(%+v) = %v; want one problem naming %s", c.p, errs, c.field)
			continue
		}
		if !errors.Is(errs[0], idp.ErrInvalid) || !strings.HasPrefix(errs[0].Error(), c.field+": ") {
			t.Errorf("%s: error %q does not name the field or wrap ErrInvalid", c.field, errs[0])
		}
	}
}

// TestValidateMemberProfile: the member rules include the profile, so
// every writer (CLI, bootstrap, admin API, account page) applies it.
func TestValidateMemberProfile(t *testing.T) {
	m := idp.Member{Email: "a@example.com", Username: "a", Name: "A", Role: idp.RoleMember,
		Profile: idp.Profile{Zoneinfo: "Nowhere/Special", PhoneNumber: "12"}}
	err := members.Validate(m)
	for _, want := range []string{"zoneinfo:", "phone_number:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; want a problem naming %s", err, want)
		}
	}
	m.Profile = idp.Profile{}
	m.Name = "bad\xffname"
	if err := members.Validate(m); err == nil || !strings.Contains(err.Error(), "name:") {
		t.Errorf("Validate(invalid UTF-8 name) = %v; want a name problem", err)
	}
}

func TestNormalizeProfile(t *testing.T) {
	p := idp.Profile{Locale: "EN_gb", Address: &idp.Address{}}
	members.NormalizeProfile(&p)
	if p.Locale != "en-GB" || p.Address != nil {
		t.Errorf("NormalizeProfile = %+v; want locale en-GB and no address", p)
	}
	if errs := members.ValidateProfile(p); len(errs) != 0 {
		t.Errorf("normalized profile refused: %v", errs)
	}
}

func TestSameProfile(t *testing.T) {
	a, b := fullProfile(), fullProfile()
	if !members.SameProfile(a, b) {
		t.Error("equal profiles with distinct address pointers differ")
	}
	b.Address.Locality = "Lyon"
	if members.SameProfile(a, b) {
		t.Error("profiles with different addresses are the same")
	}
	if !members.SameProfile(idp.Profile{}, idp.Profile{Address: nil}) || members.SameProfile(idp.Profile{}, idp.Profile{Address: &idp.Address{Country: "FR"}}) {
		t.Error("SameProfile mishandles a missing address")
	}
}

// FuzzProfile feeds untrusted profile JSON (as the admin API, the account
// page and the bootstrap file deliver it) through Normalize and Validate.
// It must never panic; a profile it accepts must stay accepted and
// unchanged when normalized again and survive a JSON round trip (the
// store's form); every refusal names a known field.
func FuzzProfile(f *testing.F) {
	seed, _ := json.Marshal(fullProfile())
	f.Add(seed)
	f.Add([]byte(`{"birthdate":"0000-02-29","locale":"en_us","zoneinfo":"UTC"}`))
	f.Add([]byte(`{"locale":"x-private","phone_number":"+1","address":{}}`))
	f.Add([]byte(`{"picture":"https://a/\u0000","website":"HTTPS://EXAMPLE.COM"}`))
	fields := map[string]bool{}
	for _, k := range []string{"given_name", "family_name", "middle_name", "nickname", "picture", "website", "gender",
		"birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified", "address.formatted",
		"address.street_address", "address.locality", "address.region", "address.postal_code", "address.country"} {
		fields[k] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p idp.Profile
		if json.Unmarshal(data, &p) != nil {
			return
		}
		members.NormalizeProfile(&p)
		errs := members.ValidateProfile(p)
		for _, e := range errs {
			if !fields[e.Field] {
				t.Fatalf("problem names unknown field %q: %v", e.Field, e)
			}
		}
		if len(errs) > 0 {
			return
		}
		again := p
		members.NormalizeProfile(&again)
		if !members.SameProfile(p, again) {
			t.Fatalf("normalizing an accepted profile changed it: %+v -> %+v", p, again)
		}
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back idp.Profile
		if err := json.Unmarshal(raw, &back); err != nil || !members.SameProfile(p, back) {
			t.Fatalf("accepted profile does not survive JSON: %+v -> %+v (%v)", p, back, err)
		}
		if errs := members.ValidateProfile(back); len(errs) > 0 {
			t.Fatalf("stored form of an accepted profile refused: %v", errs)
		}
	})
}
