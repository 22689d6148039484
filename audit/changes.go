package audit

import (
	"reflect"
	"slices"
	"strings"
)

// SecretsChanged is the detail entry that lists, by name, the secrets a
// change replaced (a password, a client secret): their values are never
// recorded, the fact that they changed is.
const SecretsChanged = "secrets_changed"

// Changes describes an administrative change for an event's Detail: the
// fields whose values differ between before and after, as
// {"before": {field: old}, "after": {field: new}}, so the trail shows what
// changed without repeating the whole record. A field that is in
// secretFields or that Secret names is never given a value: when it
// changed, its name goes in "secrets_changed" (a rotated client secret is
// recorded as rotated, not as its value). Pass a nil before for a
// creation and a nil after for a deletion. Changes returns nil when
// nothing changed.
func Changes(before, after map[string]any, secretFields ...string) map[string]any {
	fields := make(map[string]bool, len(before)+len(after))
	for k := range before {
		fields[k] = true
	}
	for k := range after {
		fields[k] = true
	}
	old, cur := map[string]any{}, map[string]any{}
	var secrets []string
	for k := range fields {
		b, inBefore := before[k]
		a, inAfter := after[k]
		if inBefore == inAfter && reflect.DeepEqual(b, a) {
			continue
		}
		if Secret(k) || slices.Contains(secretFields, k) {
			secrets = append(secrets, k)
			continue
		}
		if inBefore {
			old[k] = b
		}
		if inAfter {
			cur[k] = a
		}
	}
	if len(old) == 0 && len(cur) == 0 && len(secrets) == 0 {
		return nil
	}
	out := map[string]any{}
	if len(old) > 0 {
		out["before"] = old
	}
	if len(cur) > 0 {
		out["after"] = cur
	}
	if len(secrets) > 0 {
		slices.Sort(secrets)
		out[SecretsChanged] = secrets
	}
	return out
}

// Secret reports whether a field name looks like it holds a secret: a
// password, secret, credential or verifier anywhere in the name, a token
// or code (access_token, registration_access_token, code), a hash, or a
// private or sealed key. Such fields are never written to the trail or the
// log, whatever the caller passes. The test is on names, not values, so
// token_endpoint_auth_method or grant_type stay recordable.
func Secret(field string) bool {
	f := strings.ToLower(field)
	for _, s := range []string{"password", "secret", "credential", "verifier", "private", "sealed"} {
		if strings.Contains(f, s) {
			return true
		}
	}
	for _, s := range []string{"token", "code", "hash", "otp", "cookie"} {
		if f == s || strings.HasSuffix(f, "_"+s) || strings.HasSuffix(f, "-"+s) {
			return true
		}
	}
	return false
}
