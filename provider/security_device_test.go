package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// TestSecurityDeviceDeny: "a denied device gets access_denied and never a
// token" (RFC 8628 §3.5), and the answer cannot be changed afterwards from
// another tab.
func TestSecurityDeviceDeny(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := deviceEnv(t, open)
		code, start := e.mustDeviceStart("tv", "", "openid offline_access")
		b := e.browser()
		pg := b.enterCode(start, true)
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isDeviceConsent() {
			t.Fatalf("want the device question, got %d", pg.resp.StatusCode)
		}
		done := b.submit(pg, nil, "consent", "deny")
		if done.resp.StatusCode != http.StatusOK || !strings.Contains(done.body, "Access denied") {
			t.Fatalf("deny: %d %s", done.resp.StatusCode, done.body)
		}
		e.wantPollError("tv", "", code, "access_denied")
		// The same form submitted again (a second tab) allows nothing.
		again := b.submit(pg, nil, "consent", "allow")
		if again.resp.StatusCode == http.StatusOK {
			t.Fatalf("answer changed after deny: %d %s", again.resp.StatusCode, again.body)
		}
		e.wantPollError("tv", "", code, "access_denied")
	})
}

// TestSecurityDeviceExpiry: "an expired device code is expired_token at
// the token endpoint and a clear message on the code page"; a code that
// names nothing says so, and a code already answered is refused.
func TestSecurityDeviceExpiry(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, clk := deviceEnv(t, open)
		code, start := e.mustDeviceStart("tv", "", "openid")
		b := e.browser()
		pg := b.typeCode(start["verification_uri"].(string), "BCDF-GHJK")
		if !strings.Contains(pg.body, "That code is not right") || pg.isLogin() {
			t.Fatalf("wrong code: %d %s", pg.resp.StatusCode, pg.body)
		}
		pg = b.typeCode(start["verification_uri"].(string), "not a code at all")
		if !strings.Contains(pg.body, "That code is not right") {
			t.Fatalf("malformed code: %d %s", pg.resp.StatusCode, pg.body)
		}
		clk.advance(10*time.Minute + time.Second)
		e.wantPollError("tv", "", code, "expired_token")
		pg = b.typeCode(start["verification_uri"].(string), start["user_code"].(string))
		if !strings.Contains(pg.body, "expired or was already used") || pg.isLogin() {
			t.Fatalf("expired code: %d %s", pg.resp.StatusCode, pg.body)
		}

		// A code that was answered cannot be entered again.
		_, start2 := e.mustDeviceStart("tv", "", "openid")
		b.approveDevice(start2, "allow")
		pg = b.typeCode(start2["verification_uri"].(string), start2["user_code"].(string))
		if !strings.Contains(pg.body, "expired or was already used") || pg.isDeviceConsent() {
			t.Fatalf("answered code entered again: %d %s", pg.resp.StatusCode, pg.body)
		}
	})
}

// TestSecurityDeviceRedeemedOnce: "of concurrent polls after approval,
// exactly one gets tokens" (conditional update of the grant).
func TestSecurityDeviceRedeemedOnce(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := deviceEnv(t, open)
		code, start := e.mustDeviceStart("tv", "", "openid offline_access")
		e.browser().approveDevice(start, "allow")
		const n = 8
		var wg sync.WaitGroup
		status := make(chan int, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, out := e.devicePoll("tv", "", code)
				if resp.StatusCode != http.StatusOK && out["error"] != "invalid_grant" && out["error"] != "temporarily_unavailable" {
					t.Errorf("concurrent poll: %d %v", resp.StatusCode, out)
				}
				status <- resp.StatusCode
			}()
		}
		wg.Wait()
		close(status)
		ok := 0
		for s := range status {
			if s == http.StatusOK {
				ok++
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d concurrent polls got tokens, want exactly 1", ok, n)
		}
		e.wantPollError("tv", "", code, "invalid_grant")
	})
}

// TestSecurityDeviceOtherClient: "a device code is redeemed only by the
// client it was issued to"; another client's attempt changes nothing.
func TestSecurityDeviceOtherClient(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := deviceEnv(t, open)
		code, start := e.mustDeviceStart("tv", "", "openid")
		e.wantPollError("tv2", tvSecret, code, "invalid_grant")
		e.browser().approveDevice(start, "allow")
		e.wantPollError("tv2", tvSecret, code, "invalid_grant")
		// A client without the grant is refused before the code is read.
		resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {idp.GrantDeviceCode}, "device_code": {code}}, "web", webSecret)
		if resp.StatusCode != http.StatusBadRequest || out["error"] != "unauthorized_client" {
			t.Fatalf("web client: %d %v", resp.StatusCode, out)
		}
		if resp, out := e.devicePoll("tv", "", code); resp.StatusCode != http.StatusOK || out["id_token"] == nil {
			t.Fatalf("owner after others tried: %d %v", resp.StatusCode, out)
		}
	})
}

// TestSecurityDeviceGuessing: "guessing user codes is throttled per
// address": after ten entries in the window the code page refuses even a
// right code with 429, and nothing is looked up.
func TestSecurityDeviceGuessing(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := deviceEnv(t, open)
		_, start := e.mustDeviceStart("tv", "", "openid")
		b := e.browser()
		uri := start["verification_uri"].(string)
		for i := range 10 {
			pg := b.typeCode(uri, "BCDF-GHJ"+string("BCDFGHJKLM"[i]))
			if pg.resp.StatusCode != http.StatusOK {
				t.Fatalf("guess %d: %d", i, pg.resp.StatusCode)
			}
		}
		pg := e.browser().typeCode(uri, start["user_code"].(string))
		if pg.resp.StatusCode != http.StatusTooManyRequests || pg.resp.Header.Get("Retry-After") == "" || pg.isLogin() {
			t.Fatalf("eleventh entry: %d %s", pg.resp.StatusCode, pg.body)
		}
	})
}

// TestSecurityDeviceAuthorizeRefusals: "bad input at the device
// authorization endpoint gets RFC 6749 §5.2 errors, never a 500, and no
// codes"; the code form needs its CSRF token.
func TestSecurityDeviceAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := deviceEnv(t, open)
		for _, tc := range []struct {
			name       string
			form       url.Values
			user, pass string
			status     int
			want       string
		}{
			{"unknown client", url.Values{"client_id": {"nobody"}}, "", "", 401, "invalid_client"},
			{"client without the grant", url.Values{"scope": {"openid"}}, "web", webSecret, 400, "unauthorized_client"},
			{"unregistered scope", url.Values{"client_id": {"tv"}, "scope": {"openid roles"}}, "", "", 400, "invalid_scope"},
			{"foreign audience", url.Values{"client_id": {"tv"}, "audience": {"https://api.example.com"}}, "", "", 400, "invalid_request"},
			{"repeated parameter", url.Values{"client_id": {"tv"}, "scope": {"openid", "profile"}}, "", "", 400, "invalid_request"},
			{"wrong secret", url.Values{}, "tv2", "nope-nope-nope", 401, "invalid_client"},
		} {
			resp, out := e.postForm("/oauth2/device/authorize", tc.form, tc.user, tc.pass)
			if resp.StatusCode != tc.status || out["error"] != tc.want || out["device_code"] != nil {
				t.Errorf("%s: %d %v, want %d %s", tc.name, resp.StatusCode, out, tc.status, tc.want)
			}
		}
		// The code form without its CSRF token changes nothing.
		_, start := e.mustDeviceStart("tv", "", "openid")
		resp, _ := e.post("/device", url.Values{"user_code": {start["user_code"].(string)}}, "", "")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("code form without CSRF token: %d", resp.StatusCode)
		}
	})
}

// TestSecurityDeviceLogout: "ending the browser session that allowed a
// device revokes the device's refresh token", as for any client of the
// session (the grant names the session it was allowed in).
func TestSecurityDeviceLogout(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := deviceEnv(t, open)
		code, start := e.mustDeviceStart("tv", "", "openid offline_access")
		b := e.browser()
		b.approveDevice(start, "allow")
		resp, out := e.devicePoll("tv", "", code)
		if resp.StatusCode != http.StatusOK || out["refresh_token"] == nil {
			t.Fatalf("poll: %d %v", resp.StatusCode, out)
		}
		sid := e.verifyIDToken("tv", out["id_token"].(string))["sid"]
		b.logout(e.webRP(), url.Values{"id_token_hint": {out["id_token"].(string)}})
		if !e.sessionGone(sid) {
			t.Fatal("logout did not end the session")
		}
		resp, ref := e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {out["refresh_token"].(string)}, "client_id": {"tv"}}, "", "")
		if resp.StatusCode == http.StatusOK || ref["access_token"] != nil {
			t.Fatalf("refresh after logout: %d %v", resp.StatusCode, ref)
		}
	})
}

// TestSecurityDeviceAuthorizationsBounded: "an anonymous public client
// cannot fill the store with device grants". Anyone may claim a public
// client's id, so the device authorization endpoint is unauthenticated in
// effect: each address may start a bounded number of grants per window,
// then gets 429 slow_down with Retry-After and no row.
func TestSecurityDeviceAuthorizationsBounded(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := deviceEnv(t, open)
		for i := range provider.MaxDeviceAuthorizationsPerAddress {
			if resp, out := e.deviceStart("tv", "", "openid"); resp.StatusCode != http.StatusOK {
				t.Fatalf("authorization %d: %d %v", i+1, resp.StatusCode, out)
			}
		}
		resp, out := e.deviceStart("tv", "", "openid")
		if resp.StatusCode != http.StatusTooManyRequests || out["error"] != "slow_down" ||
			resp.Header.Get("Retry-After") == "" || out["device_code"] != nil {
			t.Fatalf("over the limit: %d %v (Retry-After %q), want 429 slow_down", resp.StatusCode, out, resp.Header.Get("Retry-After"))
		}
		// A confidential client's requests count too: the limit is the
		// address's, whoever it claims to be.
		if resp, out := e.deviceStart("tv2", tvSecret, "openid"); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("confidential client over the address limit: %d %v", resp.StatusCode, out)
		}
	})
}
