package provider_test

import (
	"net/http"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestAdminMemberProfile: the standard claims are fields of a member in
// the admin API. Bad values are refused with a problem naming the field
// and change nothing; a merge patch of one field keeps the others; the
// address is patched as an object; the locale is stored canonical.
func TestAdminMemberProfile(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		dan := map[string]any{"email": "dan@example.com", "username": "dan", "password": "dan-password-12",
			"given_name": "Dan", "locale": "en_us", "zoneinfo": "America/New_York", "phone_number": "+15550100",
			"address": map[string]any{"locality": "Boston", "country": "US"}}
		r := e.call(ops, http.MethodPost, "/members", dan).want(t, http.StatusCreated)
		id := r.str("id")
		if r.str("locale") != "en-US" || r.str("given_name") != "Dan" || r.str("family_name") != "" {
			t.Fatalf("created member: %s; want the canonical locale and the fields as sent", r.body)
		}

		for field, bad := range map[string]any{
			"birthdate": "1990-02-30", "zoneinfo": "Mars/Base", "locale": "!!", "picture": "http://example.com/p.png",
			"website": "ftp://example.com", "phone_number": "555-0100", "gender": string(make([]byte, 65)),
		} {
			body := map[string]any{"email": "eve@example.com", "username": "eve", "password": "eve-password-123", field: bad}
			e.call(ops, http.MethodPost, "/members", body).want(t, http.StatusUnprocessableEntity, "invalid-field", field)
		}
		e.call(ops, http.MethodPost, "/members", map[string]any{"email": "eve@example.com", "username": "eve",
			"password": "eve-password-123", "address": map[string]any{"locality": "a\x00b"}}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "address.locality")
		e.call(ops, http.MethodPost, "/members", map[string]any{"email": "eve@example.com", "username": "eve",
			"password": "eve-password-123", "address": map[string]any{"planet": "Mars"}}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "planet")
		if _, err := e.store.Members.ByEmail(t.Context(), "eve@example.com"); err == nil {
			t.Fatal("a refused request stored a member")
		}

		tag := e.call(ops, http.MethodGet, "/members/"+id, nil).want(t, http.StatusOK).header.Get("ETag")
		e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"birthdate": "0000-13-01"}, "If-Match", tag).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "birthdate")
		r = e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"family_name": "Dover", "address": map[string]any{"region": "MA", "country": nil}},
			"If-Match", tag, "Content-Type", "application/merge-patch+json").want(t, http.StatusOK)
		addr, _ := r.json["address"].(map[string]any)
		if r.str("family_name") != "Dover" || r.str("given_name") != "Dan" || r.str("zoneinfo") != "America/New_York" ||
			r.str("phone_number") != "+15550100" || addr["locality"] != "Boston" || addr["region"] != "MA" || addr["country"] != nil {
			t.Fatalf("a patch of two fields lost or missed others: %s", r.body)
		}
		m := must(e.store.Members.ByID(t.Context(), id))
		if m.Profile.FamilyName != "Dover" || m.Profile.Address == nil || m.Profile.Address.Region != "MA" || m.Profile.Locale != "en-US" {
			t.Fatalf("stored profile %+v", m.Profile)
		}
		ev := e.audit.last(idp.AuditMemberUpdated)
		if d, _ := ev["detail"].(map[string]any); d == nil || d["after"].(map[string]any)["family_name"] != "Dover" {
			t.Errorf("audit event of the profile patch: %v", ev)
		}

		tag = r.header.Get("ETag")
		r = e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"address": nil, "phone_number_verified": true},
			"If-Match", tag).want(t, http.StatusOK)
		if r.json["address"] != nil || r.json["phone_number_verified"] != true || r.str("family_name") != "Dover" {
			t.Fatalf("removing the address / verifying the phone: %s", r.body)
		}
		tag = r.header.Get("ETag")
		e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"phone_number": nil}, "If-Match", tag).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "phone_number_verified")
	})
}
