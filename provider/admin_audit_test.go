package provider_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// The trail shows each change with its actor and the changed fields, and
// pages and filters like every list.
func TestAdminAuditEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		start := time.Now().Add(-time.Second).UTC()
		id := e.call(ops, http.MethodPost, "/members", map[string]any{"email": "d@example.com", "username": "dan", "password": "dan-password-1"}).
			want(t, http.StatusCreated).str("id")
		for _, name := range []string{"Dan", "Daniel"} {
			tag := e.call(ops, http.MethodGet, "/members/"+id, nil).want(t, http.StatusOK).header.Get("ETag")
			e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"name": name}, "If-Match", tag).want(t, http.StatusOK)
		}
		e.call(ops, http.MethodPost, "/clients/svc/secret", nil).want(t, http.StatusOK)

		r := e.call(ops, http.MethodGet, "/audit-events?type=member.updated&member="+id+"&limit=1", nil).want(t, http.StatusOK)
		items := r.json["items"].([]any)
		first := items[0].(map[string]any)
		if len(items) != 1 || first["actor"] != "client:ops" || r.str("next_cursor") == "" {
			t.Fatalf("first page: %s; want the newest update by client:ops and a next page", r.body)
		}
		if after := first["detail"].(map[string]any)["after"].(map[string]any); after["name"] != "Daniel" {
			t.Fatalf("newest update: %v; want the name Daniel", first["detail"])
		}
		r = e.call(ops, http.MethodGet, "/audit-events?type=member.updated&member="+id+"&limit=1&cursor="+url.QueryEscape(r.str("next_cursor")), nil).want(t, http.StatusOK)
		if items := r.json["items"].([]any); len(items) != 1 || items[0].(map[string]any)["detail"].(map[string]any)["after"].(map[string]any)["name"] != "Dan" {
			t.Fatalf("second page: %s; want the older update", r.body)
		}
		r = e.call(ops, http.MethodGet, "/audit-events?client=svc", nil).want(t, http.StatusOK)
		if items := r.json["items"].([]any); len(items) != 1 || items[0].(map[string]any)["type"] != string(idp.AuditClientSecretSet) {
			t.Fatalf("?client=svc: %s; want the secret rotation", r.body)
		}
		since := url.QueryEscape(start.Format(time.RFC3339Nano))
		r = e.call(ops, http.MethodGet, "/audit-events?member="+id+"&since="+since, nil).want(t, http.StatusOK)
		if items := r.json["items"].([]any); len(items) != 3 {
			t.Fatalf("events about the member since the start: %s; want the creation and two updates", r.body)
		}
		r = e.call(ops, http.MethodGet, "/audit-events?member="+id+"&until="+since, nil).want(t, http.StatusOK)
		if items := r.json["items"].([]any); len(items) != 0 {
			t.Fatalf("events before the start: %s", r.body)
		}
		e.call(ops, http.MethodGet, "/audit-events?since=yesterday", nil).want(t, http.StatusUnprocessableEntity, "invalid-field", "since")
		e.call(ops, http.MethodGet, "/audit-events?cursor=nonsense", nil).want(t, http.StatusUnprocessableEntity, "invalid-field", "cursor")
		e.call("", http.MethodGet, "/audit-events", nil).want(t, http.StatusUnauthorized, "unauthorized")
	})
}
