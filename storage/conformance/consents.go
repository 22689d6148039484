package conformance

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func testConsents(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "c@example.com")
	mustClient(t, s, "b")
	mustClient(t, s, "a")
	_, err := s.Consents.Get(ctx, m.ID, "a")
	wantErr(t, err, idp.ErrNotFound)

	first := idp.Consent{MemberID: m.ID, ClientID: "a", Scopes: []string{"openid", "email"}, GrantedAt: base}
	must(t, s.Consents.Grant(ctx, first))
	got, err := s.Consents.Get(ctx, m.ID, "a")
	must(t, err)
	first.GrantedAt = norm(base)
	if !reflect.DeepEqual(got, first) {
		t.Errorf("Get =\n%+v\nwant\n%+v", got, first)
	}

	again := idp.Consent{MemberID: m.ID, ClientID: "a", Scopes: []string{"openid"}, GrantedAt: base.Add(time.Hour)}
	must(t, s.Consents.Grant(ctx, again))
	got, err = s.Consents.Get(ctx, m.ID, "a")
	must(t, err)
	again.GrantedAt = norm(again.GrantedAt)
	if !reflect.DeepEqual(got, again) {
		t.Errorf("Get after a second Grant =\n%+v\nwant the replacement\n%+v", got, again)
	}

	none := idp.Consent{MemberID: m.ID, ClientID: "b", GrantedAt: norm(base)}
	must(t, s.Consents.Grant(ctx, none))
	list, err := s.Consents.ByMember(ctx, m.ID)
	must(t, err)
	if want := []idp.Consent{again, none}; !reflect.DeepEqual(list, want) {
		t.Errorf("ByMember =\n%+v\nwant\n%+v", list, want)
	}

	wantErr(t, s.Consents.Grant(ctx, idp.Consent{MemberID: "missing", ClientID: "a"}), idp.ErrNotFound)
	wantErr(t, s.Consents.Grant(ctx, idp.Consent{MemberID: m.ID, ClientID: "missing"}), idp.ErrNotFound)

	must(t, s.Consents.Revoke(ctx, m.ID, "a"))
	wantErr(t, s.Consents.Revoke(ctx, m.ID, "a"), idp.ErrNotFound)
	_, err = s.Consents.Get(ctx, m.ID, "a")
	wantErr(t, err, idp.ErrNotFound)
	if _, err := s.Consents.Get(ctx, m.ID, "b"); err != nil {
		t.Errorf("the other consent: %v", err)
	}
}
