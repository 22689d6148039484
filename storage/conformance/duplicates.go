package conformance

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testDuplicatesNamed checks that a taken unique value comes back as an
// *idp.DuplicateError naming the field and value in the operator's terms,
// wrapping idp.ErrConflict, and never as the driver's text ("UNIQUE
// constraint failed: index 'members_email_key'", "duplicate key value
// violates unique constraint").
func testDuplicatesNamed(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	ada := idp.Member{Email: "ada@example.com", Username: "ada", PasswordHash: "$h", Role: idp.RoleMember}
	must(t, s.Members.Create(ctx, &ada))
	other := mustMember(t, s, "other@example.com")
	mustClient(t, s, "web")

	dupEmail := idp.Member{Email: "ADA@example.com", Username: "ada2", PasswordHash: "$h", Role: idp.RoleMember}
	dupUsername := idp.Member{Email: "new@example.com", Username: ada.Username, PasswordHash: "$h", Role: idp.RoleMember}
	renamed := other
	renamed.Email = "ada@example.com"
	for _, tc := range []struct {
		name, want string
		err        error
	}{
		{"member email", "a member with email ADA@example.com already exists", s.Members.Create(ctx, &dupEmail)},
		{"member username", "a member with username " + ada.Username + " already exists", s.Members.Create(ctx, &dupUsername)},
		{"member update", "a member with email ada@example.com already exists", s.Members.Update(ctx, renamed)},
		{"client id", "a client with id web already exists", s.Clients.Create(ctx, &idp.Client{ID: "web", Name: "again"})},
	} {
		var dup *idp.DuplicateError
		if tc.err == nil {
			t.Errorf("%s: no error; want a duplicate refused", tc.name)
			continue
		}
		if !errors.As(tc.err, &dup) || !errors.Is(tc.err, idp.ErrConflict) || !strings.HasSuffix(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v; want a DuplicateError wrapping ErrConflict ending %q", tc.name, tc.err, tc.want)
		}
		if msg := strings.ToLower(tc.err.Error()); strings.Contains(msg, "constraint") || strings.Contains(msg, "_key") {
			t.Errorf("%s: %v; the driver's text leaks", tc.name, tc.err)
		}
	}
}
