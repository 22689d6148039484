package conformance

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testMembersPage walks the members page by page, after a key that sorts
// differently by byte than by collation, and checks the filters.
func testMembersPage(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	for _, m := range []idp.Member{
		{ID: "b", Email: "b@example.com", Username: "bee"},
		{ID: "a", Email: "Ann@Example.com", Username: "ann"},
		{ID: "C", Email: "c@example.com"},
		{ID: "d", Email: "d@example.com", Username: "dee"},
	} {
		m.Role = idp.RoleMember
		must(t, s.Members.Create(ctx, &m))
	}
	var ids []string
	after := ""
	for range 10 {
		page, err := s.Members.Page(ctx, storage.MemberFilter{}, after, 3)
		must(t, err)
		if len(page) > 3 {
			t.Fatalf("Page(limit 3) returned %d members", len(page))
		}
		for _, m := range page {
			ids = append(ids, m.ID)
		}
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].ID
	}
	if want := "C a b d"; join(ids) != want {
		t.Errorf("pages of members = %q, want %q (byte order of IDs, each once)", join(ids), want)
	}
	for name, tc := range map[string]struct {
		f    storage.MemberFilter
		want string
	}{
		"email folded": {storage.MemberFilter{Email: "ann@example.COM"}, "a"},
		"username":     {storage.MemberFilter{Username: "dee"}, "d"},
		"both, apart":  {storage.MemberFilter{Email: "b@example.com", Username: "dee"}, ""},
		"no match":     {storage.MemberFilter{Username: "Ann"}, ""},
	} {
		page, err := s.Members.Page(ctx, tc.f, "", 50)
		must(t, err)
		var got []string
		for _, m := range page {
			got = append(got, m.ID)
		}
		if join(got) != tc.want {
			t.Errorf("%s: Page = %q, want %q", name, join(got), tc.want)
		}
	}
}

func testClientsPage(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	for _, id := range []string{"web", "Api", "cli", "batch", "zeta"} {
		mustClient(t, s, id)
	}
	first, err := s.Clients.Page(ctx, "", 2)
	must(t, err)
	second, err := s.Clients.Page(ctx, first[len(first)-1].ID, 2)
	must(t, err)
	third, err := s.Clients.Page(ctx, second[len(second)-1].ID, 2)
	must(t, err)
	var ids []string
	for _, page := range [][]idp.Client{first, second, third} {
		for _, c := range page {
			ids = append(ids, c.ID)
		}
	}
	if want := "Api batch cli web zeta"; join(ids) != want {
		t.Errorf("pages of clients = %q, want %q", join(ids), want)
	}
	if len(third) != 1 || third[0].RedirectURIs[0] != "https://zeta.example/cb" {
		t.Errorf("last page = %+v, want the whole zeta client", third)
	}
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}

// testSessionsPage walks the live sessions page by page: an expired one is
// left out, every other is listed once, in byte order of IDs.
func testSessionsPage(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "paged@example.com")
	var live []string
	for i := range 5 {
		live = append(live, mustSession(t, s, m.ID, base.Add(time.Duration(i)*time.Minute)).ID)
	}
	expired := mustSession(t, s, m.ID, base.Add(-48*time.Hour))
	now := base.Add(time.Hour)
	var got []string
	after := ""
	for range 10 {
		page, err := s.Sessions.Page(ctx, now, after, 2)
		must(t, err)
		if len(page) > 2 {
			t.Fatalf("Page(limit 2) returned %d sessions", len(page))
		}
		for _, ss := range page {
			got = append(got, ss.ID)
			if ss.ID == expired.ID {
				t.Errorf("Page listed the session that expired before now")
			}
			if ss.MemberID != m.ID {
				t.Errorf("session %s of member %q, want %q", ss.ID, ss.MemberID, m.ID)
			}
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	want := slices.Clone(live)
	slices.Sort(want)
	if join(got) != join(want) {
		t.Errorf("pages of sessions = %q, want %q (byte order of IDs, each once)", join(got), join(want))
	}
}
