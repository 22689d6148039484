package members_test

import (
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
)

func TestCheck(t *testing.T) {
	good := idp.Member{Email: "a@example.com", Username: "a.b-c_d", Name: "A", Role: idp.RoleMember}
	if errs := members.Check(good, members.Field); len(errs) != 0 {
		t.Fatalf("Check(%+v) = %v; want none", good, errs)
	}
	bad := idp.Member{Email: "A <a@example.com>", Username: "a b", Name: strings.Repeat("n", members.MaxNameBytes+1), Role: "root"}
	errs := members.Check(bad, func(f string) string { return "--" + f })
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	for _, want := range []string{"--email:", "--username:", "--name:", "--role:"} {
		if !strings.Contains(strings.Join(msgs, "\n"), want) {
			t.Errorf("Check(bad) = %q; want a problem labelled %s", msgs, want)
		}
	}
	long := good
	long.Email = strings.Repeat("a", members.MaxEmailBytes) + "@example.com"
	if errs := members.Check(long, members.Field); len(errs) != 1 {
		t.Errorf("an email over %d bytes: %v; want one problem", members.MaxEmailBytes, errs)
	}
}

func TestCheckPasswordHidesThePassword(t *testing.T) {
	err := members.CheckPassword("short", "password")
	if err == nil || strings.Contains(err.Error(), "short") || !strings.HasPrefix(err.Error(), "password: ") {
		t.Fatalf("CheckPassword = %v; want a message naming the field, not the password", err)
	}
}

func TestNormalizeDefaultsToMember(t *testing.T) {
	var m idp.Member
	members.Normalize(&m)
	admin := idp.Member{Role: idp.RoleAdmin}
	members.Normalize(&admin)
	if m.Role != idp.RoleMember || admin.Role != idp.RoleAdmin {
		t.Fatalf("roles = %q, %q; want member by default, an explicit admin kept", m.Role, admin.Role)
	}
}
