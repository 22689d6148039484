package provider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/provider/admin"
	"github.com/idp/idp/storage"
)

const (
	opsSecret     = "ops-client-secret-0123456789-0123456789"
	consoleSecret = "console-client-secret-0123456789-01234"
)

// adminEnv is a provider with an operator's client-credentials client
// ("ops", registered with idp:admin) and a console app members sign in to
// with idp:admin.
type adminEnv struct {
	*env
	audit auditTrail
	api   validator.Validator
}

func newAdminEnv(t *testing.T, open func(testing.TB) *storage.Store, tweak ...func(*provider.Config)) *adminEnv {
	t.Helper()
	e := newEnv(t, open(t), tweak...)
	e.addClient(idp.Client{ID: "ops", Name: "Operations", GrantTypes: []string{idp.GrantClientCredentials},
		Scopes: []string{idp.ScopeAdmin}}, opsSecret)
	e.addClient(idp.Client{ID: "console", Name: "Console", RedirectURIs: []string{webRedirect},
		GrantTypes: []string{idp.GrantAuthorizationCode}, SkipConsent: true,
		Scopes: []string{idp.ScopeOpenID, idp.ScopeAdmin}}, consoleSecret)
	doc, err := libopenapi.NewDocument(admin.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("openapi.json: %v", errs)
	}
	return &adminEnv{env: e, audit: auditTrail{t: t, store: e.store}, api: v}
}

// clientToken gets an access token by client credentials, as a script
// would with x/oauth2.
func (e *adminEnv) clientToken(id, secret string, scopes ...string) string {
	e.t.Helper()
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.issuer + "/oauth2/token", Scopes: scopes}
	tok, err := cc.Token(context.Background())
	if err != nil {
		e.t.Fatalf("client credentials for %s: %v", id, err)
	}
	return tok.AccessToken
}

// memberToken signs the member in at the console app through the login
// page and returns the access token of the code exchange.
func (e *adminEnv) memberToken(user, pass string) string {
	e.t.Helper()
	r := e.rp("console", consoleSecret, webRedirect, idp.ScopeOpenID, idp.ScopeAdmin)
	a := newAuthRequest()
	cb := e.browser().signIn(r.authURL(a), user, pass)
	tok, err := r.exchange(e.code(cb, a), a)
	if err != nil {
		e.t.Fatalf("exchange: %v", err)
	}
	return tok.AccessToken
}

// adminResp is an answer of the API, validated against openapi.json.
type adminResp struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// call sends a request to the API with token (none when empty) and body
// (a string is sent as is, anything else as JSON), and fails the test when
// the answer does not match the OpenAPI document.
func (e *adminEnv) call(token, method, path string, body any, header ...string) adminResp {
	e.t.Helper()
	return e.send(true, token, method, path, body, header...)
}

// send is call, validating the answer against the document only when
// validate is set: a path the document does not have cannot be.
func (e *adminEnv) send(validate bool, token, method, path string, body any, header ...string) adminResp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, e.issuer+admin.Prefix+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	if ok, errs := e.api.ValidateHttpResponse(req, resp); validate && !ok {
		for _, ve := range errs {
			e.t.Errorf("%s %s → %d does not match openapi.json: %s: %s %v", method, path, resp.StatusCode, ve.Message, ve.Reason, ve.SchemaValidationErrors)
		}
		e.t.Logf("body: %s", raw)
	}
	out := adminResp{status: resp.StatusCode, header: resp.Header, body: raw}
	_ = json.Unmarshal(raw, &out.json)
	return out
}

// want fails the test unless the answer has the status (and, for a
// problem, the type ending in kind).
func (r adminResp) want(t testing.TB, status int, kind ...string) adminResp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if len(kind) > 0 && r.json["type"] != admin.Prefix+"/problems/"+kind[0] {
		t.Fatalf("problem type %v, want %s: %s", r.json["type"], kind[0], r.body)
	}
	if len(kind) > 1 && r.json["field"] != kind[1] {
		t.Fatalf("problem field %v, want %s: %s", r.json["field"], kind[1], r.body)
	}
	return r
}

func (r adminResp) str(key string) string { s, _ := r.json[key].(string); return s }

// auditTrail reads the audit events the API recorded from the store.
type auditTrail struct {
	t     testing.TB
	store *storage.Store
}

// last returns the newest event of the type as the API would show it
// (actor, member, client, session, detail), or nil.
func (a auditTrail) last(typ idp.AuditType) map[string]any {
	a.t.Helper()
	list, _, err := a.store.Audit.List(context.Background(), storage.AuditQuery{Type: typ, Limit: 1})
	if err != nil {
		a.t.Fatalf("audit list: %v", err)
	}
	if len(list) == 0 {
		return nil
	}
	e := list[0]
	return map[string]any{"actor": e.Actor, "member": e.MemberID, "client": e.ClientID, "session": e.SessionID, "detail": e.Detail}
}

// all is every recorded event, encoded, for searching.
func (a auditTrail) all() string {
	a.t.Helper()
	list, _, err := a.store.Audit.List(context.Background(), storage.AuditQuery{Limit: storage.MaxAuditLimit})
	if err != nil {
		a.t.Fatalf("audit list: %v", err)
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// signInAs proves the member can sign in at the console.
func (e *adminEnv) signInAs(user, pass string) {
	e.t.Helper()
	if e.memberToken(user, pass) == "" {
		e.t.Fatalf("%s could not sign in", user)
	}
}

// signedInAs runs the code flow for the member in browser b (consenting
// when asked) and returns the tokens.
func (e *adminEnv) signedInAs(r *rp, b *browser, user, pass string) (*oauth2.Token, *authRequest) {
	e.t.Helper()
	a := newAuthRequest()
	tok, err := r.exchange(e.code(b.signIn(r.authURL(a), user, pass), a), a)
	if err != nil {
		e.t.Fatalf("exchange: %v", err)
	}
	return tok, a
}
