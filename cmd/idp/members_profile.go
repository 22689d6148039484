package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
)

// profileUsage describes --profile for idp members add and update.
const profileUsage = `standard claims as a JSON object, e.g. '{"given_name":"Ada","locale":"en-GB","address":{"country":"UK"}}'; ` +
	`on update a JSON merge patch (RFC 7396): fields given replace, null removes`

// memberOption labels a member field as the command line sets it: the
// profile's fields live in --profile, the others are flags.
func memberOption(field string) string {
	switch field {
	case "email", "username", "name", "role":
		return option(field)
	}
	return option("profile") + " " + field
}

// patchProfile applies --profile, a JSON merge patch (RFC 7396), to p.
// Unknown fields, wrong types and trailing data are errors naming
// --profile; the rules of the values are members'.
func patchProfile(p idp.Profile, patch string) (idp.Profile, error) {
	var changes map[string]any
	if err := json.Unmarshal([]byte(patch), &changes); err != nil || changes == nil {
		return p, fmt.Errorf("%s: want a JSON object of standard claims", option("profile"))
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return p, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return p, err
	}
	merged, err := json.Marshal(mergeJSON(doc, changes))
	if err != nil {
		return p, err
	}
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	var out idp.Profile
	if err := dec.Decode(&out); err != nil {
		return p, fmt.Errorf("%s: %s", option("profile"), strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return p, fmt.Errorf("%s: want one JSON object", option("profile"))
	}
	members.NormalizeProfile(&out)
	return out, nil
}

// mergeJSON is RFC 7396's MergePatch of two JSON objects.
func mergeJSON(doc, patch map[string]any) map[string]any {
	for k, v := range patch {
		switch v := v.(type) {
		case nil:
			delete(doc, k)
		case map[string]any:
			cur, _ := doc[k].(map[string]any)
			if cur == nil {
				cur = map[string]any{}
			}
			doc[k] = mergeJSON(cur, v)
		default:
			doc[k] = v
		}
	}
	return doc
}

// profileRows are the set standard claims of p, for idp members show.
func profileRows(p idp.Profile) [][2]string {
	var rows [][2]string
	add := func(label, v string) {
		if v != "" {
			rows = append(rows, [2]string{label, v})
		}
	}
	add("Given name", p.GivenName)
	add("Middle name", p.MiddleName)
	add("Family name", p.FamilyName)
	add("Nickname", p.Nickname)
	add("Picture", p.Picture)
	add("Website", p.Website)
	add("Gender", p.Gender)
	add("Birthdate", p.Birthdate)
	add("Zoneinfo", p.Zoneinfo)
	add("Locale", p.Locale)
	if p.PhoneNumber != "" {
		add("Phone", fmt.Sprintf("%s (verified: %v)", p.PhoneNumber, p.PhoneNumberVerified))
	}
	if a := p.Address; a != nil {
		var parts []string
		for _, s := range []string{a.StreetAddress, a.Locality, a.Region, a.PostalCode, a.Country} {
			if s != "" {
				parts = append(parts, strings.ReplaceAll(s, "\n", ", "))
			}
		}
		if len(parts) == 0 {
			parts = []string{strings.ReplaceAll(a.Formatted, "\n", ", ")}
		}
		add("Address", strings.Join(parts, ", "))
	}
	return rows
}
