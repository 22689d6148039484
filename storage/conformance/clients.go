package conformance

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func testClients(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	created := time.Now().Add(-time.Hour).In(time.FixedZone("east", 3600))
	full := idp.Client{
		ID:                           "web",
		Name:                         "Web app",
		SecretHash:                   "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		RedirectURIs:                 []string{"https://web.example/cb", "https://web.example/cb?x=1&y=\"2\""},
		PostLogoutRedirectURIs:       []string{"https://web.example/bye"},
		GrantTypes:                   []string{idp.GrantAuthorizationCode, idp.GrantRefreshToken},
		ResponseTypes:                []string{"code"},
		Scopes:                       []string{"openid", "profile", "offline_access"},
		Audience:                     []string{"https://api.example", "https://other.example"},
		TokenEndpointAuthMethod:      idp.AuthMethodPost,
		SkipConsent:                  true,
		AllowPlainOAuth:              true,
		BackchannelLogoutURI:         "https://web.example/logout",
		Introspection:                idp.IntrospectionAll,
		JWKS:                         `{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","use":"sig"}]}`,
		JWKSURI:                      "https://web.example/jwks.json",
		TokenEndpointAuthSigningAlg:  "ES256",
		RequirePAR:                   true,
		DPoPBoundAccessTokens:        true,
		IDTokenSignedResponseAlg:     "EdDSA",
		AccessTokenSignedResponseAlg: "ES256",
		CreatedAt:                    created,
	}
	c := full
	must(t, s.Clients.Create(ctx, &c))
	if c.CreatedAt != norm(created) || c.UpdatedAt != c.CreatedAt {
		t.Errorf("Create times: created %v updated %v, want both %v", c.CreatedAt, c.UpdatedAt, norm(created))
	}
	got, err := s.Clients.ByID(ctx, "web")
	must(t, err)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("ByID =\n%+v\nwant\n%+v", got, c)
	}

	// Empty and nil lists both come back nil.
	bare := idp.Client{ID: "bare", RedirectURIs: []string{}, TokenEndpointAuthMethod: idp.AuthMethodNone}
	must(t, s.Clients.Create(ctx, &bare))
	got, err = s.Clients.ByID(ctx, "bare")
	must(t, err)
	bare.RedirectURIs = nil
	if !reflect.DeepEqual(got, bare) {
		t.Errorf("ByID(bare) =\n%+v\nwant\n%+v", got, bare)
	}
	if !got.Public() {
		t.Error("a client without secret hash should be public")
	}

	dup := idp.Client{ID: "web"}
	wantErr(t, s.Clients.Create(ctx, &dup), idp.ErrConflict)
	_, err = s.Clients.ByID(ctx, "missing")
	wantErr(t, err, idp.ErrNotFound)

	mustClient(t, s, "Zeta") // uppercase sorts first byte by byte
	list, err := s.Clients.List(ctx)
	must(t, err)
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	if want := []string{"Zeta", "bare", "web"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("List IDs = %q, want %q", ids, want)
	}

	upd := c
	upd.Name, upd.SecretHash, upd.SkipConsent, upd.Introspection = "Renamed", "", false, ""
	upd.JWKS, upd.RequirePAR, upd.AccessTokenSignedResponseAlg = "", false, ""
	upd.RedirectURIs, upd.Audience = []string{"http://127.0.0.1/cb"}, nil
	upd.CreatedAt = base // ignored
	must(t, s.Clients.Update(ctx, upd))
	got, err = s.Clients.ByID(ctx, "web")
	must(t, err)
	if got.UpdatedAt.Before(c.UpdatedAt) {
		t.Errorf("Update did not advance UpdatedAt: %v < %v", got.UpdatedAt, c.UpdatedAt)
	}
	upd.CreatedAt, upd.UpdatedAt = c.CreatedAt, got.UpdatedAt
	if !reflect.DeepEqual(got, upd) {
		t.Errorf("after Update =\n%+v\nwant\n%+v", got, upd)
	}
	wantErr(t, s.Clients.Update(ctx, idp.Client{ID: "missing"}), idp.ErrNotFound)

	must(t, s.Clients.Delete(ctx, "web"))
	_, err = s.Clients.ByID(ctx, "web")
	wantErr(t, err, idp.ErrNotFound)
	wantErr(t, s.Clients.Delete(ctx, "web"), idp.ErrNotFound)
}

func testClientDeleteCascades(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "m@example.com")
	gone, kept := mustClient(t, s, "gone"), mustClient(t, s, "kept")
	ss := mustSession(t, s, m.ID, base)
	flows := map[string]string{} // client ID → flow ID
	for _, c := range []idp.Client{gone, kept} {
		must(t, s.Consents.Grant(ctx, idp.Consent{MemberID: m.ID, ClientID: c.ID, Scopes: []string{"openid"}}))
		must(t, s.Sessions.AddClient(ctx, ss.ID, c.ID))
		must(t, s.Tokens.Create(ctx, token(storage.KindAccess, "sig-"+c.ID, "req-"+c.ID, c.ID)))
		f := idp.Flow{ClientID: c.ID, ExpiresAt: base}
		must(t, s.Flows.Create(ctx, &f))
		flows[c.ID] = f.ID
	}

	must(t, s.Clients.Delete(ctx, gone.ID))
	_, err := s.Consents.Get(ctx, m.ID, gone.ID)
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Tokens.Get(ctx, storage.KindAccess, "sig-gone")
	wantErr(t, err, idp.ErrNotFound)
	if _, err := s.Tokens.Get(ctx, storage.KindAccess, "sig-kept"); err != nil {
		t.Errorf("token of the kept client: %v", err)
	}
	if _, err := s.Consents.Get(ctx, m.ID, kept.ID); err != nil {
		t.Errorf("consent to the kept client: %v", err)
	}
	_, err = s.Flows.ByID(ctx, flows["gone"])
	wantErr(t, err, idp.ErrNotFound)
	if _, err := s.Flows.ByID(ctx, flows["kept"]); err != nil {
		t.Errorf("flow of the kept client: %v", err)
	}
	ids, err := s.Sessions.Clients(ctx, ss.ID)
	must(t, err)
	if !reflect.DeepEqual(ids, []string{"kept"}) {
		t.Errorf("session clients after delete = %q, want [kept]", ids)
	}
}
