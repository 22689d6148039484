package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// passkeySetup registers a software passkey for alice through the account
// page and returns it with a fresh browser at the login page of an
// authorization request of the web client.
func passkeySetup(t *testing.T, e *env) (*softKey, *browser, *authRequest, *page) {
	t.Helper()
	k := newSoftKey(t, e.issuer)
	pg := e.registerSoftKey(e.browser(), k, "alice", alicePass, "Laptop")
	if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, "Laptop") {
		t.Fatalf("register: want the list with the new passkey, got %d %s", pg.resp.StatusCode, pg.body)
	}
	b := e.browser()
	a := newAuthRequest()
	login := b.get(e.webRP("openid").authURL(a))
	if !login.isLogin() {
		t.Fatalf("want the login page, got %d %s", login.resp.StatusCode, login.body)
	}
	return k, b, a, login
}

// failures counts alice's failed sign-ins with reason.
func failures(t *testing.T, e *env, member, reason string) int {
	t.Helper()
	list, _, err := e.store.Audit.List(context.Background(), storage.AuditQuery{Type: idp.AuditLoginFailed, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range list {
		if ev.Detail["reason"] == reason && (member == "" || ev.MemberID == member) {
			n++
		}
	}
	return n
}

// refusedPasskey checks pg is the login page again with msg and no session
// was made for alice.
func refusedPasskey(t *testing.T, e *env, pg *page, msg string) {
	t.Helper()
	if !pg.isLogin() || !strings.Contains(pg.body, msg) {
		t.Fatalf("want the login page saying %q, got %d %s", msg, pg.resp.StatusCode, pg.body)
	}
	if ss, err := e.store.Sessions.ByMember(context.Background(), memberID(t, e, "alice")); err != nil || len(ss) != 1 {
		t.Fatalf("alice's sessions = %d, %v; want only the account page's", len(ss), err)
	}
}

// TestSecurityPasskeySignIn: a passkey alone signs in to an app, with
// user verification; the session records hwk and user, not pwd.
func TestSecurityPasskeySignIn(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newPasskeyEnv(t, open(t))
		k, b, a, login := passkeySetup(t, e)
		f := passkeyFormOf(t, login, "data-passkey-get")
		if strings.Contains(f.options, "allowCredentials") {
			t.Errorf("sign-in options name credentials (want a discoverable ceremony): %s", f.options)
		}
		pg := b.postPasskey("/login/passkey", f, k.sign(k.answer(f.options)), nil)
		if !pg.isConsent() {
			t.Fatalf("after the passkey: want the consent page, got %d %s", pg.resp.StatusCode, pg.body)
		}
		cb := b.submit(pg, nil, "consent", "allow").redirect(t)
		_, claims := e.webRP("openid").redeem(cb, a)
		alice := memberID(t, e, "alice")
		if claims["sub"] != alice {
			t.Fatalf("sub = %v, want alice %s", claims["sub"], alice)
		}
		s, err := e.store.Sessions.ByID(context.Background(), claims["sid"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(s.AMR, idp.AMRHardwareKey) || !slices.Contains(s.AMR, idp.AMRUser) || slices.Contains(s.AMR, idp.AMRPassword) {
			t.Errorf("session amr = %q, want hwk and user without pwd", s.AMR)
		}
		pk, err := e.store.Passkeys.ByID(context.Background(), b64u.EncodeToString(k.id))
		if err != nil || pk.SignCount != k.count || pk.LastUsedAt.IsZero() {
			t.Errorf("passkey after use = %+v, %v; want count %d and a last use", pk, err, k.count)
		}
	})
}

// TestSecurityPasskeyChallengeOnce: an answer accepted once is refused
// the second time, even on the same flow of the same browser.
func TestSecurityPasskeyChallengeOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newPasskeyEnv(t, open(t))
		k, b, _, login := passkeySetup(t, e)
		f := passkeyFormOf(t, login, "data-passkey-get")
		answer := k.sign(k.answer(f.options))
		if pg := b.postPasskey("/login/passkey", f, answer, nil); !pg.isConsent() {
			t.Fatalf("first use: want consent, got %d %s", pg.resp.StatusCode, pg.body)
		}
		// The flow waits at consent; the same answer again must not pass.
		before := failures(t, e, "", "passkey_expired")
		pg := b.postPasskey("/login/passkey", f, answer, nil)
		if !pg.isLogin() || !strings.Contains(pg.body, "expired") {
			t.Fatalf("replayed answer: want the login page saying expired, got %d %s", pg.resp.StatusCode, pg.body)
		}
		if failures(t, e, "", "passkey_expired") != before+1 {
			t.Errorf("the replay is not in the trail")
		}
	})
}

// TestSecurityPasskeyOtherFlow: an answer to one flow's challenge is
// refused at another flow, and the victim's flow from another browser.
func TestSecurityPasskeyOtherFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newPasskeyEnv(t, open(t))
		k, _, _, login := passkeySetup(t, e)
		victim := passkeyFormOf(t, login, "data-passkey-get")
		answer := k.sign(k.answer(victim.options))

		attacker := e.browser()
		own := passkeyFormOf(t, attacker.get(e.webRP("openid").authURL(newAuthRequest())), "data-passkey-get")
		pg := attacker.postPasskey("/login/passkey", own, answer, nil)
		refusedPasskey(t, e, pg, "could not be verified")

		pg = attacker.postPasskey("/login/passkey", victim, answer, nil)
		if pg.resp.StatusCode != http.StatusForbidden {
			t.Fatalf("victim's flow from another browser: want 403, got %d %s", pg.resp.StatusCode, pg.body)
		}
	})
}

// TestSecurityPasskeyOtherMember: an answer naming bob's user handle but
// signed by alice's passkey does not sign in as bob (or alice).
func TestSecurityPasskeyOtherMember(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newPasskeyEnv(t, open(t))
		k, b, _, login := passkeySetup(t, e)
		bobKey := newSoftKey(t, e.issuer)
		e.registerSoftKey(e.browser(), bobKey, "bob", bobPass, "Bob's phone")

		f := passkeyFormOf(t, login, "data-passkey-get")
		a := k.answer(f.options)
		a.handle = bobKey.handle
		pg := b.postPasskey("/login/passkey", f, k.sign(a), nil)
		refusedPasskey(t, e, pg, "could not be verified")
		if ss, _ := e.store.Sessions.ByMember(context.Background(), memberID(t, e, "bob")); len(ss) != 1 {
			t.Errorf("bob has %d sessions, want only his account page's", len(ss))
		}
		// Alice's credential id with bob's key's signature: refused too.
		f = passkeyFormOf(t, b.get(e.webRP("openid").authURL(newAuthRequest())), "data-passkey-get")
		a = bobKey.answer(f.options)
		a.id, a.handle = k.id, k.handle
		refusedPasskey(t, e, b.postPasskey("/login/passkey", f, bobKey.sign(a), nil), "could not be verified")
	})
}

// TestSecurityPasskeyTamperedClientData: a wrong origin, a wrong type, a
// missing user verification or a counter that does not advance are
// refused and recorded.
func TestSecurityPasskeyTamperedClientData(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newPasskeyEnv(t, open(t))
		k, b, _, _ := passkeySetup(t, e)
		alice := memberID(t, e, "alice")
		for _, tc := range []struct {
			name   string
			tamper func(a *assertion)
		}{
			{"origin", func(a *assertion) { a.origin = "http://evil.localhost" }},
			{"type", func(a *assertion) { a.typ = "webauthn.create" }},
			{"no user verification", func(a *assertion) { a.flags &^= 0x04 }},
			{"counter", func(a *assertion) { a.count = 1 }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := passkeyFormOf(t, b.get(e.webRP("openid").authURL(newAuthRequest())), "data-passkey-get")
				a := k.answer(f.options)
				tc.tamper(a)
				refusedPasskey(t, e, b.postPasskey("/login/passkey", f, k.sign(a), nil), "could not be verified")
			})
		}
		if n := failures(t, e, alice, "passkey_counter"); n != 1 {
			t.Errorf("counter refusals of alice in the trail = %d, want 1", n)
		}
		if n := failures(t, e, "", "passkey_refused"); n != 3 {
			t.Errorf("refusals in the trail = %d, want 3", n)
		}
	})
}

// TestSecurityPasskeyDisabledMember: a disabled member's passkey signs
// nobody in.
func TestSecurityPasskeyDisabledMember(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newPasskeyEnv(t, open(t))
		k, b, _, login := passkeySetup(t, e)
		ctx := context.Background()
		m, err := e.store.Members.ByEmail(ctx, aliceEmail)
		if err != nil {
			t.Fatal(err)
		}
		m.Disabled = true
		if err := e.store.Members.Update(ctx, m); err != nil {
			t.Fatal(err)
		}
		f := passkeyFormOf(t, login, "data-passkey-get")
		pg := b.postPasskey("/login/passkey", f, k.sign(k.answer(f.options)), nil)
		refusedPasskey(t, e, pg, "could not be verified")
		if failures(t, e, m.ID, "disabled") != 1 {
			t.Errorf("the refusal is not in the trail")
		}
	})
}

// TestSecurityPasskeyThrottled: failed passkey answers count against the
// address like failed passwords.
func TestSecurityPasskeyThrottled(t *testing.T) {
	e := newPasskeyEnv(t, openSQLite(t))
	k, b, _, _ := passkeySetup(t, e)
	var last *page
	for range 30 {
		f := passkeyFormOf(t, b.get(e.webRP("openid").authURL(newAuthRequest())), "data-passkey-get")
		a := k.answer(f.options)
		a.origin = "http://evil.localhost"
		last = b.postPasskey("/login/passkey", f, k.sign(a), nil)
		if last.resp.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	if last.resp.StatusCode != http.StatusTooManyRequests || last.resp.Header.Get("Retry-After") == "" {
		t.Fatalf("30 failed passkey answers: want 429 with Retry-After, got %d", last.resp.StatusCode)
	}
}

// TestPasskeyAccountPage: the member lists, renames and removes their
// passkeys; another member's passkey cannot be touched; a name too long
// and a form without its token change nothing; each change is audited.
func TestPasskeyAccountPage(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newPasskeyEnv(t, open(t))
		ctx := context.Background()
		alice := e.browser()
		k := newSoftKey(t, e.issuer)
		pg := e.registerSoftKey(alice, k, "alice", alicePass, "  Laptop  ")
		if !strings.Contains(pg.body, "<td>Laptop</td>") || !strings.Contains(pg.body, "never") ||
			!strings.Contains(pg.body, "needs JavaScript") {
			t.Fatalf("list after adding: %s", pg.body)
		}
		// The same authenticator again is refused.
		f := passkeyFormOf(t, pg, "data-passkey-create")
		dup := alice.postPasskey("/account/passkeys", f, k.create(f.options), url.Values{"name": {"Again"}})
		if dup.resp.StatusCode != http.StatusBadRequest || !strings.Contains(dup.body, "already registered") {
			t.Fatalf("second registration of one authenticator: %d %s", dup.resp.StatusCode, dup.body)
		}
		id := b64u.EncodeToString(k.id)
		token := f.fields.Get("csrf_token")

		bob := e.browser()
		bobPage := e.registerSoftKey(bob, newSoftKey(t, e.issuer), "bob", bobPass, "Bob's")
		bobToken := passkeyFormOf(t, bobPage, "data-passkey-create").fields.Get("csrf_token")
		for _, path := range []string{"/account/passkeys/rename", "/account/passkeys/remove"} {
			pg := bob.postPasskey(path, passkeyForm{fields: url.Values{"csrf_token": {bobToken}, "id": {id}}}, "", url.Values{"name": {"Stolen"}})
			if pg.resp.StatusCode != http.StatusNotFound {
				t.Errorf("bob at %s with alice's passkey: %d, want 404", path, pg.resp.StatusCode)
			}
			pg = alice.postPasskey(path, passkeyForm{fields: url.Values{"id": {id}}}, "", url.Values{"name": {"No token"}})
			if pg.resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s without a CSRF token: %d, want 403", path, pg.resp.StatusCode)
			}
		}
		pg = alice.postPasskey("/account/passkeys/rename", passkeyForm{fields: url.Values{"csrf_token": {token}, "id": {id}}}, "",
			url.Values{"name": {strings.Repeat("x", 101)}})
		if pg.resp.StatusCode != http.StatusBadRequest || !strings.Contains(pg.body, `role="alert"`) {
			t.Errorf("name too long: %d %s", pg.resp.StatusCode, pg.body)
		}
		pg = alice.postPasskey("/account/passkeys/rename", passkeyForm{fields: url.Values{"csrf_token": {token}, "id": {id}}}, "",
			url.Values{"name": {"Work laptop"}})
		if !strings.Contains(pg.body, "<td>Work laptop</td>") {
			t.Fatalf("after rename: %d %s", pg.resp.StatusCode, pg.body)
		}
		pg = alice.postPasskey("/account/passkeys/remove", passkeyForm{fields: url.Values{"csrf_token": {token}, "id": {id}}}, "", nil)
		if !strings.Contains(pg.body, "no passkeys yet") {
			t.Fatalf("after remove: %d %s", pg.resp.StatusCode, pg.body)
		}
		if _, err := e.store.Passkeys.ByID(ctx, id); err == nil {
			t.Error("removed passkey still stored")
		}
		for typ, want := range map[idp.AuditType]int{idp.AuditPasskeyAdded: 2, idp.AuditPasskeyRenamed: 1, idp.AuditPasskeyRemoved: 1} {
			list, _, err := e.store.Audit.List(ctx, storage.AuditQuery{Type: typ})
			if err != nil || len(list) != want {
				t.Errorf("%s events = %d, %v; want %d", typ, len(list), err, want)
			}
		}
	})
}

// TestSecurityPasskeySecondFactor: a flow waiting for alice's second
// factor offers only her passkeys and refuses an answer from bob's, even
// a perfectly valid one; hers passes the factor after the password.
// Until the password step that sets PendingMemberID lands, the flow's
// state is set in the store as that step will set it.
func TestSecurityPasskeySecondFactor(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newPasskeyEnv(t, open(t))
		ctx := context.Background()
		k, b, _, login := passkeySetup(t, e)
		bobKey := newSoftKey(t, e.issuer)
		e.registerSoftKey(e.browser(), bobKey, "bob", bobPass, "Bob's phone")
		alice := memberID(t, e, "alice")

		// The password step: alice has a passkey, so the second-factor
		// page asks for it (and has no code form: she has no app).
		second := b.submit(login, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if second.resp.Request.URL.Path != "/login/otp" || strings.Contains(second.body, `name="otp"`) {
			t.Fatalf("after the password: want the second-factor page with only a passkey, got %s %s", second.resp.Request.URL, second.body)
		}
		options := func(pg *page) passkeyForm {
			t.Helper()
			pf := passkeyFormOf(t, pg, "data-passkey-get")
			if !strings.Contains(pf.options, b64u.EncodeToString(k.id)) || strings.Contains(pf.options, b64u.EncodeToString(bobKey.id)) {
				t.Fatalf("second-factor options do not allow exactly alice's passkey: %s", pf.options)
			}
			return pf
		}
		f := options(second)
		refused := b.postPasskey("/login/passkey", f, bobKey.sign(bobKey.answer(f.options)), nil)
		if refused.resp.Request.URL.Path != "/login/passkey" || !strings.Contains(refused.body, "could not be verified") {
			t.Fatalf("bob's passkey as alice's second factor: want the second-factor page refusing it, got %d %s", refused.resp.StatusCode, refused.body)
		}
		if ss, err := e.store.Sessions.ByMember(ctx, alice); err != nil || len(ss) != 1 {
			t.Fatalf("alice's sessions = %d, %v; want only the account page's", len(ss), err)
		}

		f = options(refused)
		pg := b.postPasskey("/login/passkey", f, k.sign(k.answer(f.options)), nil)
		if !pg.isConsent() {
			t.Fatalf("alice's passkey as second factor: want consent, got %d %s", pg.resp.StatusCode, pg.body)
		}
		fl, err := e.store.Flows.ByID(ctx, f.fields.Get("flow"))
		if err != nil {
			t.Fatal(err)
		}
		if fl.MemberID != alice || fl.PendingMemberID != "" ||
			!slices.Equal(fl.AMR, []string{idp.AMRPassword, idp.AMRUser, idp.AMRHardwareKey, idp.AMRMFA}) {
			t.Errorf("flow after the second factor: member %q pending %q amr %q", fl.MemberID, fl.PendingMemberID, fl.AMR)
		}
	})
}
