package main

import (
	"context"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/mfa"
	"github.com/idp/idp/storage/storagetest"
)

const demoTOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// TestBootstrapMFA: a bootstrap file sets a member's totp_secret (sealed,
// confirmed) and mfa_required, and a client's require_mfa; applied again
// it changes nothing; a secret that is not base32, or too short, is
// refused naming the entry and the field.
func TestBootstrapMFA(t *testing.T) {
	s := storagetest.SQLite(t)
	ctx := context.Background()
	doc := "clients:\n  - id: a\n    redirect_uris: [https://a.example/cb]\n    require_mfa: true\n" +
		"members:\n  - email: m@example.com\n    username: m\n    password: m-password\n    mfa_required: true\n" +
		"    totp_secret: " + strings.ToLower(demoTOTP) + "\n"
	apply := func(want bootstrapCounts) {
		t.Helper()
		b := mustParseBootstrap(t, doc)
		b.factors = mfa.New(s, testSecret, "", nil)
		mustApply(t, s, b, want)
	}
	apply(bootstrapCounts{created: 2})
	m, err := s.Members.ByEmail(ctx, "m@example.com")
	if err != nil || !m.MFARequired {
		t.Fatalf("member = %+v, %v; want mfa_required", m, err)
	}
	if c, err := s.Clients.ByID(ctx, "a"); err != nil || !c.RequireMFA {
		t.Fatalf("client = %+v, %v; want require_mfa", c, err)
	}
	f := mfa.New(s, testSecret, "", nil)
	if has, err := f.HasSecret(ctx, m.ID, demoTOTP); err != nil || !has {
		t.Fatalf("HasSecret = %v, %v; want the file's secret, confirmed", has, err)
	}
	if methods, _ := f.Methods(ctx, m.ID); len(methods) != 1 || methods[0] != idp.AMROTP {
		t.Fatalf("methods = %v, want otp", methods)
	}
	t0, _ := s.Factors.TOTP(ctx, m.ID)
	if strings.Contains(string(t0.Sealed), demoTOTP) {
		t.Fatal("the TOTP secret is stored in clear")
	}
	apply(bootstrapCounts{unchanged: 2})

	for _, bad := range []string{"not base32!", "JBSWY3DP"} {
		_, err := parseBootstrap("b.yaml", []byte(strings.Replace(doc, strings.ToLower(demoTOTP), bad, 1)))
		if err == nil || !strings.Contains(err.Error(), "members[0] (m@example.com): totp_secret") {
			t.Errorf("totp_secret %q: %v; want refused naming the entry and field", bad, err)
		}
	}
}

// TestMembersResetMFA: idp members reset-mfa removes the second factors
// and is audited by cli; a second run says there was nothing.
func TestMembersResetMFA(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := "--database=" + dsn
		runOK(t, "alice-password", "members", "add", db, "--email", "alice@example.com", "--username", "alice")
		store := openTestStore(t, dsn)
		m, err := store.Members.ByEmail(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		f := mfa.New(store, testSecret, "", nil)
		if err := f.SetSecret(ctx, m.ID, demoTOTP); err != nil {
			t.Fatal(err)
		}
		wantContains(t, runOK(t, "", "members", "reset-mfa", db, "alice"), "removed the second factors of member "+m.ID)
		if methods, err := f.Methods(ctx, m.ID); err != nil || len(methods) != 0 {
			t.Fatalf("methods after reset = %v, %v; want none", methods, err)
		}
		wantContains(t, runOK(t, "", "members", "reset-mfa", db, "alice@example.com"), "had no second factor")
		events := auditRows(t, db, "--type", string(idp.AuditMFAReset))
		if len(events) != 2 || events[0].Actor != actorCLI || events[0].MemberID != m.ID {
			t.Fatalf("mfa.reset events = %+v; want two by cli", events)
		}
	})
}
