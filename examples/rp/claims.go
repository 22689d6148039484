package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// claim is one row of a claims table: a name and its value as text.
type claim struct {
	Name  string
	Value string
}

// timeClaims hold seconds since the epoch; the page shows them as dates too.
var timeClaims = map[string]bool{"exp": true, "iat": true, "nbf": true, "auth_time": true, "updated_at": true}

// claimRows renders a JSON object of claims sorted by name. Numbers keep
// their digits (no float formatting); objects and arrays are shown as JSON.
func claimRows(raw json.RawMessage) ([]claim, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode claims: %w", err)
	}
	rows := make([]claim, 0, len(m))
	for name, v := range m {
		rows = append(rows, claim{Name: name, Value: claimText(name, v)})
	}
	slices.SortFunc(rows, func(a, b claim) int { return strings.Compare(a.Name, b.Name) })
	return rows, nil
}

func claimText(name string, v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		if n, err := v.Int64(); err == nil && timeClaims[name] {
			return fmt.Sprintf("%s (%s)", v, time.Unix(n, 0).UTC().Format(time.RFC3339))
		}
		return v.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// idTokenClaims returns the verified ID token's claims as rows, and its sid
// claim (OpenID Connect Front-/Back-Channel Logout), empty when absent.
func idTokenClaims(idt *oidc.IDToken) ([]claim, string, error) {
	var raw json.RawMessage
	if err := idt.Claims(&raw); err != nil {
		return nil, "", fmt.Errorf("id token claims: %w", err)
	}
	var sid struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(raw, &sid); err != nil {
		return nil, "", fmt.Errorf("id token claims: %w", err)
	}
	rows, err := claimRows(raw)
	return rows, sid.SID, err
}
