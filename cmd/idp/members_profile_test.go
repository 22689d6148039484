package main

import (
	"strings"
	"testing"
)

// TestBootstrapMemberProfile: a member entry's standard claims are parsed
// beside its other fields, canonicalized, and refused by the members rules
// with the entry and field named.
func TestBootstrapMemberProfile(t *testing.T) {
	const entry = "members:\n  - email: a@example.com\n    username: a\n    password: alice-password\n"
	b, err := parseBootstrap("b.yaml", []byte(entry+"    given_name: Ada\n    locale: en_gb\n    phone_number: \"+441632960001\"\n"+
		"    phone_number_verified: true\n    address:\n      locality: London\n      country: UK\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := b.members[0].value.Profile
	if p.GivenName != "Ada" || p.Locale != "en-GB" || !p.PhoneNumberVerified || p.Address == nil || p.Address.Locality != "London" {
		t.Fatalf("profile = %+v", p)
	}
	_, err = parseBootstrap("b.yaml", []byte(entry+"    birthdate: 1990-02-30\n    zoneinfo: Mars/Base\n    address:\n      region: \"a\\u0000b\"\n      planet: Mars\n"))
	if err == nil {
		t.Fatal("bad profile parsed")
	}
	wantContains(t, err.Error(), "members[0] (a@example.com): planet: unknown field")
	_, err = parseBootstrap("b.yaml", []byte(entry+"    birthdate: 1990-02-30\n    zoneinfo: Mars/Base\n    website: http://a.example\n"))
	if err == nil {
		t.Fatal("bad profile parsed")
	}
	wantContains(t, err.Error(), "members[0] (a@example.com): birthdate:", "members[0] (a@example.com): zoneinfo:",
		"members[0] (a@example.com): website:")
}

// TestMembersProfileFlag: idp members add and update take the standard
// claims as --profile JSON; update merges it into the stored profile, and
// refused values name --profile and the field and change nothing.
func TestMembersProfileFlag(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "ada-password", "members", "add", db, "--email", "ada@example.com", "--username", "ada",
			"--profile", `{"given_name":"Ada","locale":"en_gb","address":{"locality":"London"}}`)
		got := decodeOne[memberJSON](t, runOK(t, "", "members", "show", "ada", db, "--json"))
		if got.Profile == nil || got.Profile.GivenName != "Ada" || got.Profile.Locale != "en-GB" || got.Profile.Address.Locality != "London" {
			t.Fatalf("after add: %+v", got.Profile)
		}
		runOK(t, "", "members", "update", "ada", db, "--profile", `{"family_name":"Lovelace","address":{"country":"UK"},"locale":null}`)
		got = decodeOne[memberJSON](t, runOK(t, "", "members", "show", "ada", db, "--json"))
		if p := got.Profile; p.GivenName != "Ada" || p.FamilyName != "Lovelace" || p.Locale != "" ||
			p.Address.Locality != "London" || p.Address.Country != "UK" {
			t.Fatalf("after a merge of --profile: %+v %+v", p, p.Address)
		}
		wantContains(t, runOK(t, "", "members", "show", "ada", db), "Family name:", "Lovelace", "London, UK")

		msg := idpFails(t, "", "members", "update", "ada", db, "--profile", `{"birthdate":"1815-12-32","phone_number":"12"}`)
		wantContains(t, msg, "--profile birthdate:", "--profile phone_number:")
		wantContains(t, idpFails(t, "", "members", "update", "ada", db, "--profile", `{"colour":"blue"}`), "--profile:", "colour")
		wantContains(t, idpFails(t, "", "members", "update", "ada", db, "--profile", `[1]`), "--profile: want a JSON object")
		wantContains(t, idpFails(t, "pw-password", "members", "add", db, "--email", "b@example.com", "--username", "b",
			"--profile", `{"website":"http://x.example"}`), "--profile website:")
		if after := decodeOne[memberJSON](t, runOK(t, "", "members", "show", "ada", db, "--json")); *after.Profile.Address != *got.Profile.Address ||
			after.Profile.FamilyName != "Lovelace" || !after.UpdatedAt.Equal(got.UpdatedAt) {
			t.Fatalf("a refused update wrote %+v", after.Profile)
		}
		if strings.Contains(runOK(t, "", "members", "list", db), "b@example.com") {
			t.Fatal("a refused add stored the member")
		}
	})
}
