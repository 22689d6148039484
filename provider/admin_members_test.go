package provider_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func TestAdminMembers(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		carol := map[string]any{"email": "carol@example.com", "username": "carol", "name": "Carol", "password": "carol-password-1"}
		r := e.call(ops, http.MethodPost, "/members", carol).want(t, http.StatusCreated)
		id := r.str("id")
		if strings.Contains(string(r.body), "password") || strings.Contains(string(r.body), "argon2") {
			t.Fatalf("the answer shows the password or its hash: %s", r.body)
		}
		if r.str("role") != "member" || r.header.Get("Location") != "/admin/v1/members/"+id {
			t.Fatalf("create: %s, Location %q; want the member role by default and the member's URL", r.body, r.header.Get("Location"))
		}
		if ev := e.audit.last(idp.AuditMemberCreated); ev == nil || ev["actor"] != "client:ops" || ev["member"] != id {
			t.Fatalf("audit event of the creation = %v; want actor client:ops and the member", ev)
		}
		if strings.Contains(e.audit.all(), "carol-password-1") || strings.Contains(e.audit.all(), "argon2") {
			t.Fatal("the audit trail holds the password")
		}
		e.signInAs("carol", "carol-password-1")

		// Refused input changes nothing.
		e.call(ops, http.MethodPost, "/members", map[string]any{"email": "CAROL@example.com", "username": "c2", "password": "another-password"}).
			want(t, http.StatusConflict, "conflict", "email")
		e.call(ops, http.MethodPost, "/members", map[string]any{"email": "d@example.com", "username": "carol", "password": "another-password"}).
			want(t, http.StatusConflict, "conflict", "username")
		e.call(ops, http.MethodPost, "/members", map[string]any{"email": "Dan <d@example.com>", "username": "dan", "password": "another-password"}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "email")
		e.call(ops, http.MethodPost, "/members", map[string]any{"email": "d@example.com", "username": "dan", "password": "short"}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "password")
		e.call(ops, http.MethodPost, "/members", map[string]any{"email": "d@example.com", "username": "dan", "password": "another-password", "password_hash": "$x"}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "password_hash")
		e.call(ops, http.MethodPost, "/members", `{"email": "d@example.com",`).want(t, http.StatusBadRequest, "bad-json")
		e.call(ops, http.MethodPost, "/members", `["d@example.com"]`).want(t, http.StatusBadRequest, "bad-json")
		e.call(ops, http.MethodPost, "/members", `{"email": 7}`).want(t, http.StatusUnprocessableEntity, "invalid-field", "email")
		e.call(ops, http.MethodPost, "/members", `{"email": "d@example.com"} {}`).want(t, http.StatusBadRequest, "bad-json")
		big := fmt.Sprintf(`{"email": "d@example.com", "name": %q}`, strings.Repeat("n", 70<<10))
		e.call(ops, http.MethodPost, "/members", big).want(t, http.StatusRequestEntityTooLarge, "too-large")
		e.call(ops, http.MethodPost, "/members", carol, "Content-Type", "text/plain").want(t, http.StatusUnsupportedMediaType, "unsupported-media-type")
		if _, err := e.store.Members.ByEmail(t.Context(), "d@example.com"); err == nil {
			t.Fatal("a refused request stored a member")
		}

		// GET gives the ETag a PATCH must send back.
		r = e.call(ops, http.MethodGet, "/members/"+id, nil).want(t, http.StatusOK)
		tag := r.header.Get("ETag")
		if !strings.HasPrefix(tag, `"`) {
			t.Fatalf("ETag %q, want a strong tag", tag)
		}
		rename := map[string]any{"name": "Carol C.", "role": "admin"}
		e.call(ops, http.MethodPatch, "/members/"+id, rename).want(t, http.StatusPreconditionRequired, "precondition-required")
		r = e.call(ops, http.MethodPatch, "/members/"+id, rename, "If-Match", tag).want(t, http.StatusOK)
		if r.str("name") != "Carol C." || r.str("role") != "admin" || r.str("email") != "carol@example.com" {
			t.Fatalf("after the patch: %s", r.body)
		}
		ev := e.audit.last(idp.AuditMemberUpdated)
		if d, _ := ev["detail"].(map[string]any); ev["actor"] != "client:ops" ||
			fmt.Sprint(d["before"]) != "map[name:Carol role:member]" || fmt.Sprint(d["after"]) != "map[name:Carol C. role:admin]" {
			t.Fatalf("audit event of the patch = %v; want the actor and the changed fields before and after", ev)
		}
		e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"name": "Lost"}, "If-Match", tag).
			want(t, http.StatusPreconditionFailed, "precondition-failed")
		tag = r.header.Get("ETag")
		e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"username": "bob"}, "If-Match", tag).
			want(t, http.StatusConflict, "conflict", "username")
		e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"id": "x"}, "If-Match", tag).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "id")
		e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"role": "root"}, "If-Match", tag).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "role")
		e.call(ops, http.MethodPatch, "/members/"+id, map[string]any{"name": nil}, "If-Match", tag,
			"Content-Type", "application/merge-patch+json").want(t, http.StatusOK)
		e.call(ops, http.MethodPatch, "/members/nobody", map[string]any{"name": "x"}, "If-Match", "*").want(t, http.StatusNotFound, "not-found")

		// Filters.
		r = e.call(ops, http.MethodGet, "/members?email=CAROL@example.com", nil).want(t, http.StatusOK)
		if items, _ := r.json["items"].([]any); len(items) != 1 {
			t.Fatalf("?email= found %d members: %s", len(items), r.body)
		}
		r = e.call(ops, http.MethodGet, "/members?username=nobody", nil).want(t, http.StatusOK)
		if items, _ := r.json["items"].([]any); len(items) != 0 {
			t.Fatalf("?username=nobody found %s", r.body)
		}

		e.call(ops, http.MethodDelete, "/members/"+id, nil).want(t, http.StatusNoContent)
		e.call(ops, http.MethodGet, "/members/"+id, nil).want(t, http.StatusNotFound, "not-found")
		e.call(ops, http.MethodDelete, "/members/"+id, nil).want(t, http.StatusNotFound, "not-found")
		if ev := e.audit.last(idp.AuditMemberDeleted); ev == nil || ev["member"] != id {
			t.Fatalf("no audit event of the deletion: %v", ev)
		}
	})
}

func TestAdminMembersPages(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		for i := range 5 {
			e.addMember(fmt.Sprintf("m%d@example.com", i), fmt.Sprintf("m%d", i), "", "member-password", idp.RoleMember)
		}
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		seen := map[string]bool{}
		cursor, pages := "", 0
		for {
			r := e.call(ops, http.MethodGet, "/members?limit=3&cursor="+cursor, nil).want(t, http.StatusOK)
			pages++
			items, _ := r.json["items"].([]any)
			for _, it := range items {
				id := it.(map[string]any)["id"].(string)
				if seen[id] {
					t.Fatalf("member %s on two pages", id)
				}
				seen[id] = true
			}
			if cursor = r.str("next_cursor"); cursor == "" {
				break
			}
		}
		if len(seen) != 7 || pages != 3 {
			t.Fatalf("%d members on %d pages; want the 7 members (5 + alice and bob) on 3 pages", len(seen), pages)
		}
		e.call(ops, http.MethodGet, "/members?limit=501", nil).want(t, http.StatusUnprocessableEntity, "invalid-field", "limit")
		e.call(ops, http.MethodGet, "/members?limit=0", nil).want(t, http.StatusUnprocessableEntity, "invalid-field", "limit")
		e.call(ops, http.MethodGet, "/members?cursor=%25%25", nil).want(t, http.StatusUnprocessableEntity, "invalid-field", "cursor")
	})
}

// Two administrators patching from the same read: exactly one change
// wins, the others are told the resource changed (412), none is lost
// silently.
func TestAdminConcurrentPatchesOneWins(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		bob, _ := e.store.Members.ByUsername(t.Context(), "bob")
		tag := e.call(ops, http.MethodGet, "/members/"+bob.ID, nil).want(t, http.StatusOK).header.Get("ETag")
		const n = 8
		codes := make(chan int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes <- e.call(ops, http.MethodPatch, "/members/"+bob.ID, map[string]any{"name": fmt.Sprintf("Bob %d", i)}, "If-Match", tag).status
			}()
		}
		wg.Wait()
		close(codes)
		won := 0
		for c := range codes {
			switch c {
			case http.StatusOK:
				won++
			case http.StatusPreconditionFailed:
			default:
				t.Errorf("concurrent patch answered %d", c)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d patches from the same ETag succeeded; want exactly one", won, n)
		}
	})
}
