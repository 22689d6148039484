package conformance

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testPeople: what sign-in beyond a password stores round-trips — a
// member's verification, obligation and profile, a client's second-factor
// rule, a session's methods and device, a flow's progress, and a flow
// without a client (the provider's own pages).
func testPeople(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := idp.Member{Email: "p@example.com", Role: idp.RoleMember, EmailVerified: true, MFARequired: true,
		Profile: idp.Profile{GivenName: "Ada", PhoneNumber: "+441234567890", PhoneNumberVerified: true,
			Address: &idp.Address{Locality: "London", Country: "GB"}}}
	must(t, s.Members.Create(ctx, &m))
	got, err := s.Members.ByID(ctx, m.ID)
	must(t, err)
	if !reflect.DeepEqual(got, m) {
		t.Errorf("member =\n%+v\nwant\n%+v", got, m)
	}
	m.EmailVerified, m.MFARequired, m.Profile = false, false, idp.Profile{Zoneinfo: "Europe/Paris"}
	must(t, s.Members.Update(ctx, m))
	got, err = s.Members.ByID(ctx, m.ID)
	must(t, err)
	if got.EmailVerified || got.MFARequired || !reflect.DeepEqual(got.Profile, m.Profile) {
		t.Errorf("member after Update = %+v, want flags cleared and profile %+v", got, m.Profile)
	}

	c := mustClient(t, s, "mfa-app")
	c.RequireMFA = true
	must(t, s.Clients.Update(ctx, c))
	gc, err := s.Clients.ByID(ctx, c.ID)
	must(t, err)
	if !gc.RequireMFA {
		t.Error("client RequireMFA did not round-trip")
	}

	ss := mustSession(t, s, m.ID, base)
	ss.AMR, ss.ACR, ss.UserAgent, ss.Address = []string{"pwd", "otp", "mfa"}, "mfa", "Firefox", "192.0.2.1"
	must(t, s.Sessions.Update(ctx, ss))
	gs, err := s.Sessions.ByID(ctx, ss.ID)
	must(t, err)
	if !reflect.DeepEqual(gs, ss) {
		t.Errorf("session =\n%+v\nwant\n%+v", gs, ss)
	}

	f := idp.Flow{CSRFHash: "c", Params: "return_to=%2Faccount", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	must(t, s.Flows.Create(ctx, &f))
	gf, err := s.Flows.ByID(ctx, f.ID)
	must(t, err)
	if !reflect.DeepEqual(gf, f) || !gf.LocalFlow() {
		t.Errorf("local flow =\n%+v\nwant\n%+v", gf, f)
	}
	f.PendingMemberID, f.AMR = m.ID, []string{"pwd"}
	must(t, s.Flows.Update(ctx, f))
	gf, err = s.Flows.ByID(ctx, f.ID)
	must(t, err)
	if gf.PendingMemberID != m.ID || !reflect.DeepEqual(gf.AMR, []string{"pwd"}) {
		t.Errorf("flow progress = %q %q, want %q [pwd]", gf.PendingMemberID, gf.AMR, m.ID)
	}
}
