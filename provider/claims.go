package provider

import (
	"encoding/json"
	"fmt"
	"sort"
)

// claimsRequest is the part of the "claims" request parameter (OpenID
// Connect Core §5.5) this provider honours: which claims are asked for by
// name, for userinfo and for the ID token. Values (essential, value,
// values) only qualify a request, and every claim asked for is released
// when the member has it, so they are not kept.
type claimsRequest struct {
	Userinfo []string
	IDToken  []string
}

// maxClaimsRequest bounds the parameter; real requests are a few hundred
// bytes.
const maxClaimsRequest = 4096

// parseClaimsRequest parses untrusted input: an empty string is no
// request; anything but a JSON object of objects is an error.
func parseClaimsRequest(s string) (claimsRequest, error) {
	if s == "" {
		return claimsRequest{}, nil
	}
	if len(s) > maxClaimsRequest {
		return claimsRequest{}, fmt.Errorf("claims parameter longer than %d bytes", maxClaimsRequest)
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return claimsRequest{}, fmt.Errorf("claims parameter: %w", err)
	}
	names := func(m map[string]json.RawMessage) ([]string, error) {
		var out []string
		for name, v := range m {
			// Each member is null or an object (§5.5.1).
			var spec *map[string]json.RawMessage
			if err := json.Unmarshal(v, &spec); err != nil {
				return nil, fmt.Errorf("claims parameter: claim %q: want null or an object", name)
			}
			out = append(out, name)
		}
		sort.Strings(out)
		return out, nil
	}
	var req claimsRequest
	var err error
	if req.Userinfo, err = names(raw["userinfo"]); err != nil {
		return claimsRequest{}, err
	}
	if req.IDToken, err = names(raw["id_token"]); err != nil {
		return claimsRequest{}, err
	}
	return req, nil
}
