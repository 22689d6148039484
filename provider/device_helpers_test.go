package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

const tvSecret = "tv-client-secret-0123456789"

// deviceEnv is an env with a test clock and two device clients: "tv", a
// public client, and "tv2", a confidential one.
func deviceEnv(t *testing.T, open func(testing.TB) *storage.Store) (*env, *clock) {
	t.Helper()
	// The clock starts behind: tests move it forward past poll intervals,
	// and fosite checks auth_time against the real time.
	c := &clock{}
	c.advance(-2 * time.Minute)
	e := newEnv(t, open(t), func(cfg *provider.Config) { cfg.Now = c.now })
	e.addClient(idp.Client{
		ID: "tv", Name: "Living Room TV", GrantTypes: []string{idp.GrantDeviceCode, "refresh_token"},
		Scopes: []string{"openid", "profile", "email", "offline_access"},
	}, "")
	e.addClient(idp.Client{
		ID: "tv2", Name: "Kitchen TV", GrantTypes: []string{idp.GrantDeviceCode},
		Scopes: []string{"openid", "profile"},
	}, tvSecret)
	return e, c
}

// deviceStart asks the device authorization endpoint for codes as client
// (with secret, or by id alone when secret is empty).
func (e *env) deviceStart(client, secret, scope string) (*http.Response, map[string]any) {
	e.t.Helper()
	form := url.Values{"scope": {scope}}
	if secret == "" {
		form.Set("client_id", client)
		client = ""
	}
	return e.postForm("/oauth2/device/authorize", form, client, secret)
}

// mustDeviceStart is deviceStart that must succeed; it returns the device
// code and the whole answer.
func (e *env) mustDeviceStart(client, secret, scope string) (string, map[string]any) {
	e.t.Helper()
	resp, out := e.deviceStart(client, secret, scope)
	if resp.StatusCode != http.StatusOK || out["device_code"] == nil {
		e.t.Fatalf("device authorization: %d %v", resp.StatusCode, out)
	}
	return out["device_code"].(string), out
}

// devicePoll polls the token endpoint once as client.
func (e *env) devicePoll(client, secret, deviceCode string) (*http.Response, map[string]any) {
	e.t.Helper()
	form := url.Values{"grant_type": {idp.GrantDeviceCode}, "device_code": {deviceCode}}
	if secret == "" {
		form.Set("client_id", client)
		client = ""
	}
	return e.postForm("/oauth2/token", form, client, secret)
}

// wantPollError polls and checks the RFC 8628 §3.5 error code.
func (e *env) wantPollError(client, secret, deviceCode, want string) {
	e.t.Helper()
	resp, out := e.devicePoll(client, secret, deviceCode)
	if resp.StatusCode != http.StatusBadRequest || out["error"] != want || out["access_token"] != nil {
		e.t.Fatalf("poll: %d %v, want 400 %s", resp.StatusCode, out, want)
	}
}

// enterCode opens the code page (as verification_uri_complete when
// complete is set, else verification_uri with the code typed) and submits
// it; it returns the page the browser lands on.
func (b *browser) enterCode(start map[string]any, complete bool) *page {
	b.t.Helper()
	if complete {
		return b.submitPrefilled(b.get(start["verification_uri_complete"].(string)))
	}
	return b.typeCode(start["verification_uri"].(string), start["user_code"].(string))
}

// submitPrefilled submits the code page as the browser shows it, with
// the code it was pre-filled with.
func (b *browser) submitPrefilled(pg *page) *page {
	b.t.Helper()
	var typed string
	for _, in := range formInputs(findForm(pg.doc)) {
		if in.name == "user_code" {
			typed = in.value
		}
	}
	if typed == "" {
		b.t.Fatalf("code page not pre-filled: %s", pg.body)
	}
	return b.submit(pg, url.Values{"user_code": {typed}}, "", "")
}

// typeCode submits typed on the code page at uri.
func (b *browser) typeCode(uri, typed string) *page {
	b.t.Helper()
	pg := b.get(uri)
	if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, `name="user_code"`) {
		b.t.Fatalf("code page: %d %s", pg.resp.StatusCode, pg.body)
	}
	return b.submit(pg, url.Values{"user_code": {typed}}, "", "")
}

// isDeviceConsent reports whether pg asks about a device.
func (pg *page) isDeviceConsent() bool {
	return pg.doc != nil && strings.Contains(pg.body, `action="/device/consent"`)
}

// approveDevice drives the browser from the code page to the answer:
// signing in as alice when asked, then answering.
func (b *browser) approveDevice(start map[string]any, answer string) *page {
	b.t.Helper()
	pg := b.enterCode(start, true)
	if pg.isLogin() {
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
	}
	if !pg.isDeviceConsent() {
		b.t.Fatalf("want the device consent page, got %d %s", pg.resp.StatusCode, pg.body)
	}
	return b.submit(pg, nil, "consent", answer)
}

// verifyIDToken verifies an ID token for clientID through the JWKS, as a
// device's go-oidc would.
func (e *env) verifyIDToken(clientID, raw string) map[string]any {
	e.t.Helper()
	prov, err := oidc.NewProvider(context.Background(), e.issuer)
	if err != nil {
		e.t.Fatal(err)
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: clientID}).Verify(context.Background(), raw)
	if err != nil {
		e.t.Fatalf("verify id token: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		e.t.Fatal(err)
	}
	return claims
}

// exerciseDeviceGrant runs the device grant from the advertised device
// authorization endpoint to tokens, for the discovery test.
func (e *env) exerciseDeviceGrant(endpoint string) {
	e.t.Helper()
	if endpoint != e.issuer+"/oauth2/device/authorize" {
		e.t.Errorf("device_authorization_endpoint %q", endpoint)
		return
	}
	e.addClient(idp.Client{
		ID: "discovery-tv", Name: "Discovery TV", GrantTypes: []string{idp.GrantDeviceCode}, Scopes: []string{"openid"},
	}, "")
	code, start := e.mustDeviceStart("discovery-tv", "", "openid")
	e.browser().approveDevice(start, "allow")
	if resp, out := e.devicePoll("discovery-tv", "", code); resp.StatusCode != http.StatusOK || out["id_token"] == nil {
		e.t.Errorf("device_code grant: %d %v", resp.StatusCode, out["error"])
	}
}
