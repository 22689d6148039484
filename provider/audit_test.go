package provider_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// trail returns every audit event in the store, oldest first.
func (e *env) trail() []idp.AuditEvent {
	e.t.Helper()
	list, _, err := e.store.Audit.List(context.Background(), storage.AuditQuery{Limit: storage.MaxAuditLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(list)
	return list
}

// eachBackend is eachStore for tests that also need the database's DSN.
func eachBackend(t *testing.T, fn func(t *testing.T, open storagetest.Backend)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storagetest.SQLiteWithDSN) })
	t.Run("postgres", func(t *testing.T) { fn(t, storagetest.PostgresWithDSN) })
}

// TestAuditTrailOfAFlow: a failed sign-in on an unknown account, a
// sign-in, consent, code exchange, refresh, logout and an administrator's
// change leave exactly their events in the trail, in order, each with its
// actor; the unknown account
// is named only by a keyed reference, in the trail and in the log, and
// the sign-in log lines carry the address and that reference.
func TestAuditTrailOfAFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		var logs logBuffer
		e := newAdminEnv(t, open, capturedLog(&logs))
		alice, err := e.store.Members.ByEmail(context.Background(), aliceEmail)
		if err != nil {
			t.Fatal(err)
		}
		r, b := e.webRP(), e.browser()
		a := newAuthRequest()
		const unknown = "mallory-unknown-7c1d"
		pg := b.get(r.authURL(a))
		pg = b.submit(pg, url.Values{"username": {unknown}, "password": {"guess-password-1"}}, "", "")
		if !pg.isLogin() {
			t.Fatalf("wrong password: want the login page again, got %d", pg.resp.StatusCode)
		}
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if pg.isConsent() {
			pg = b.submit(pg, nil, "consent", "allow")
		}
		tok, err := r.exchange(e.code(pg.redirect(t), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", webSecret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %v", resp.StatusCode, out)
		}
		b.logout(r, url.Values{"id_token_hint": {idTokenOf(t, tok)}})
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		tag := e.call(ops, http.MethodGet, "/members/"+alice.ID, nil).want(t, http.StatusOK).header.Get("ETag")
		e.call(ops, http.MethodPatch, "/members/"+alice.ID, map[string]any{"name": "Alice Changed"}, "If-Match", tag).want(t, http.StatusOK)

		member, web := idp.ActorMember(alice.ID), idp.ActorClient("web")
		want := []struct {
			typ          idp.AuditType
			actor, grant string
		}{
			{idp.AuditLoginFailed, idp.ActorSystem, ""},
			{idp.AuditLoginSucceeded, member, ""},
			{idp.AuditConsentGranted, member, ""},
			{idp.AuditTokenIssued, web, idp.GrantAuthorizationCode},
			{idp.AuditTokenIssued, web, idp.GrantRefreshToken},
			{idp.AuditLogout, member, ""},
			{idp.AuditMemberUpdated, idp.ActorClient("ops"), ""},
		}
		got := e.trail()
		if len(got) != len(want) {
			t.Fatalf("trail has %d events, want %d: %+v", len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			if g.Type != w.typ || g.Actor != w.actor || (w.grant != "" && g.Detail["grant_type"] != w.grant) {
				t.Errorf("event %d = %s by %s %v; want %s by %s (grant %q)", i, g.Type, g.Actor, g.Detail, w.typ, w.actor, w.grant)
			}
			if i > 0 && i < 6 && (g.MemberID != alice.ID || g.ClientID != "web") {
				t.Errorf("event %d (%s): member %q client %q; want alice and web", i, g.Type, g.MemberID, g.ClientID)
			}
		}
		if got[6].MemberID != alice.ID || got[6].Detail["after"].(map[string]any)["name"] != "Alice Changed" {
			t.Errorf("member.updated = %+v; want alice's new name", got[6])
		}
		failed, ok := got[0], got[1]
		ref, _ := failed.Detail["account"].(string)
		if failed.MemberID != "" || failed.Detail["reason"] != "bad_credentials" || failed.Address != "127.0.0.1" ||
			len(ref) < 16 || strings.Contains(ref, "mallory") {
			t.Errorf("login.failed = %+v; want reason, address and a keyed account reference, no member", failed)
		}
		if ok.SessionID == "" || ok.SessionID != got[5].SessionID {
			t.Errorf("login session %q, logout session %q; want the same session", ok.SessionID, got[5].SessionID)
		}
		log := logs.String()
		if strings.Contains(log, unknown) || strings.Contains(log, "guess-password-1") {
			t.Errorf("the log names the unknown account or its password:\n%s", log)
		}
		var failLine, okLine string
		for _, l := range strings.Split(log, "\n") {
			switch {
			case strings.Contains(l, `msg="sign-in failed"`):
				failLine = l
			case strings.Contains(l, `msg="signed in"`):
				okLine = l
			}
		}
		wantContains(t, failLine, "address=127.0.0.1", "account="+ref, "reason=bad_credentials", "request_id=")
		wantContains(t, okLine, "address=127.0.0.1", "account=", "member="+alice.ID, "request_id=")
	})
}

// TestAuditTokenIssuedRollsBackWithExchange: when the token.issued event
// cannot be written, the code exchange fails and leaves neither the event
// nor its tokens: the code is still unspent and redeems once the fault is
// gone, with exactly one event.
func TestAuditTokenIssuedRollsBackWithExchange(t *testing.T) {
	eachBackend(t, func(t *testing.T, open storagetest.Backend) {
		store, dsn := open(t)
		e := newEnv(t, store)
		r, b := e.webRP(), e.browser()
		a := newAuthRequest()
		code := e.code(b.signIn(r.authURL(a), "alice", alicePass), a)

		restore := storagetest.FailInserts(t, dsn, "audit_events", "type", string(idp.AuditTokenIssued))
		if _, err := r.exchange(code, a); err == nil {
			t.Fatal("exchange succeeded although its audit event could not be written")
		}
		issued := func() int {
			list, _, err := e.store.Audit.List(context.Background(), storage.AuditQuery{Type: idp.AuditTokenIssued})
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		if n := issued(); n != 0 {
			t.Fatalf("%d token.issued events after a rolled-back exchange, want 0", n)
		}
		restore()
		tok, err := r.exchange(code, a)
		if err != nil {
			t.Fatalf("exchange after the rollback: %v; the failed exchange spent the code", err)
		}
		if e.introspect(tok.AccessToken)["active"] != true {
			t.Error("access token of the second exchange inactive")
		}
		if n := issued(); n != 1 {
			t.Errorf("%d token.issued events, want 1", n)
		}
	})
}

// TestRefreshReuseAudited: presenting a rotated refresh token again
// records refresh.reuse_detected with the client, and counts it.
func TestRefreshReuseAudited(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		tok, _ := e.signedIn(e.webRP(), e.browser())
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
		if resp, out := e.postForm("/oauth2/token", form, "web", webSecret); resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %v", resp.StatusCode, out)
		}
		if resp, out := e.postForm("/oauth2/token", form, "web", webSecret); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("reuse: %d %v", resp.StatusCode, out)
		}
		list, _, err := e.store.Audit.List(context.Background(), storage.AuditQuery{Type: idp.AuditRefreshReuse})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ClientID != "web" || list[0].Actor != idp.ActorClient("web") || list[0].Detail["family_revoked"] != true {
			t.Fatalf("refresh.reuse_detected events = %+v; want one for web, family revoked", list)
		}
		if v := sample(scrape(t, e.issuer), "idp_refresh_reuse_detected_total", nil); v != 1 {
			t.Errorf("idp_refresh_reuse_detected_total = %v, want 1", v)
		}
	})
}

// TestSessionEndAudited: a session past its lifetime, found when the
// browser comes back, is ended with a session.ended event by the system.
func TestSessionEndAudited(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		clock := &clock{}
		e := newEnv(t, open(t), func(c *provider.Config) { c.Now = clock.now })
		r, b := e.webRP(), e.browser()
		e.signedIn(r, b)
		clock.advance(provider.DefaultSessionLifetime + 1)
		b.get(r.authURL(newAuthRequest()))
		list, _, err := e.store.Audit.List(context.Background(), storage.AuditQuery{Type: idp.AuditSessionEnded})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Actor != idp.ActorSystem || list[0].Detail["reason"] != "expired" || list[0].SessionID == "" {
			t.Fatalf("session.ended events = %+v; want one by the system, reason expired", list)
		}
	})
}

// TestClientCredentialsCountedNotAudited: a client-credentials token is
// counted in idp_tokens_issued_total but not written to the trail (its
// issuance stays off the synchronous-commit path; see newAccessResponse).
func TestClientCredentialsCountedNotAudited(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		if resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret); resp.StatusCode != http.StatusOK {
			t.Fatalf("client credentials: %d %v", resp.StatusCode, out)
		}
		if v := sample(scrape(t, e.issuer), "idp_tokens_issued_total", map[string]string{"grant_type": "client_credentials"}); v != 1 {
			t.Errorf("idp_tokens_issued_total{grant_type=client_credentials} = %v, want 1", v)
		}
		if got := e.trail(); len(got) != 0 {
			t.Errorf("trail = %+v, want no event for a client-credentials token", got)
		}
	})
}

// TestCleanupExpiresAuditAndInitialTokens: the periodic cleanup deletes
// audit events older than the retention and expired initial access
// tokens, and keeps the rest.
func TestCleanupExpiresAuditAndInitialTokens(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		ctx := context.Background()
		store := open(t)
		now := time.Now()
		for _, e := range []idp.AuditEvent{
			{Type: idp.AuditLogout, Actor: idp.ActorSystem, Time: now.Add(-3 * time.Hour)},
			{Type: idp.AuditLogout, Actor: idp.ActorSystem, Time: now.Add(-time.Minute)},
		} {
			if err := store.Audit.Append(ctx, &e); err != nil {
				t.Fatal(err)
			}
		}
		for _, tok := range []idp.InitialAccessToken{
			{Hash: "expired-token-hash", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
			{Hash: "live-token-hash", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		} {
			if err := store.Registrations.CreateToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		newEnv(t, store, func(c *provider.Config) {
			c.AuditRetention, c.CleanupInterval = time.Hour, 20*time.Millisecond
		})
		expiredGone := func() bool {
			_, err := store.Registrations.Token(ctx, "expired-token-hash", now.Add(-90*time.Minute))
			return errors.Is(err, idp.ErrNotFound)
		}
		deadline := time.Now().Add(10 * time.Second)
		for (len(must2(store.Audit.List(ctx, storage.AuditQuery{Type: idp.AuditLogout}))) != 1 || !expiredGone()) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		list := must2(store.Audit.List(ctx, storage.AuditQuery{Type: idp.AuditLogout}))
		if len(list) != 1 || list[0].Time.Before(now.Add(-time.Hour)) {
			t.Errorf("events after cleanup = %+v; want only the recent one", list)
		}
		if !expiredGone() {
			t.Error("the expired initial access token survived the cleanup")
		}
		if _, err := store.Registrations.Token(ctx, "live-token-hash", now); err != nil {
			t.Errorf("the live initial access token: %v", err)
		}
	})
}

func must2[T any](v T, _ string, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestDisabledSignInAudited: a disabled member with the right password
// sees the page a wrong password gets, but the trail says why.
func TestDisabledSignInAudited(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		ctx := context.Background()
		bob, err := e.store.Members.ByEmail(ctx, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		bob.Disabled = true
		if err := e.store.Members.Update(ctx, bob); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		pg := b.get(e.webRP().authURL(newAuthRequest()))
		pg = b.submit(pg, url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
		if !pg.isLogin() {
			t.Fatalf("disabled member: want the login page again, got %d", pg.resp.StatusCode)
		}
		got := e.trail()
		if len(got) != 1 || got[0].Type != idp.AuditLoginFailed || got[0].MemberID != bob.ID || got[0].Detail["reason"] != "disabled" {
			t.Fatalf("trail = %+v; want one login.failed for bob, reason disabled", got)
		}
		if v := sample(scrape(t, e.issuer), "idp_logins_total", map[string]string{"result": "disabled"}); v != 1 {
			t.Errorf(`idp_logins_total{result="disabled"} = %v, want 1`, v)
		}
	})
}
