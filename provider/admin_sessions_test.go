package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// Disabling a member through the API locks them out at once: their
// sessions end with back-channel logout, their refresh tokens stop
// working, and their password no longer signs them in.
func TestAdminDisableMember(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		receiver, tokens := logoutTokens(t, func(int) int { return http.StatusOK })
		bc := e.addBackchannelClient("bc", receiver)
		b := e.browser()
		a := newAuthRequest()
		e.code(b.signIn(bc.authURL(a), "bob", bobPass), a)
		web := e.webRP()
		tok, _ := e.signedInAs(web, b, "bob", bobPass)
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token")
		}
		bob, _ := e.store.Members.ByUsername(t.Context(), "bob")

		alice := e.memberToken("alice", alicePass)
		r := e.call(alice, http.MethodGet, "/members/"+bob.ID+"/sessions", nil).want(t, http.StatusOK)
		if items, _ := r.json["items"].([]any); len(items) != 1 {
			t.Fatalf("bob's sessions: %s; want one", r.body)
		}
		tag := e.call(alice, http.MethodGet, "/members/"+bob.ID, nil).want(t, http.StatusOK).header.Get("ETag")
		e.call(alice, http.MethodPatch, "/members/"+bob.ID, map[string]any{"disabled": true}, "If-Match", tag).want(t, http.StatusOK)
		if ev := e.audit.last(idp.AuditMemberUpdated); ev == nil || ev["actor"] != idp.ActorMember(must(e.store.Members.ByUsername(t.Context(), "alice")).ID) {
			t.Fatalf("audit event = %v; want alice as the actor", ev)
		}

		if lt := receive(t, tokens); lt == "" {
			t.Fatal("empty logout token")
		}
		r = e.call(alice, http.MethodGet, "/members/"+bob.ID+"/sessions", nil).want(t, http.StatusOK)
		if items, _ := r.json["items"].([]any); len(items) != 0 {
			t.Fatalf("bob's sessions after disabling: %s; want none", r.body)
		}
		src := web.oauth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken})
		if _, err := src.Token(); err == nil {
			t.Fatal("a disabled member's refresh token still works")
		}
		b2 := e.browser()
		pg := b2.get(web.authURL(newAuthRequest()))
		pg = b2.submit(pg, url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
		if !strings.Contains(pg.body, "incorrect") {
			t.Fatalf("a disabled member signing in: status %d; want the bad-credentials answer", pg.resp.StatusCode)
		}
	})
}

func TestAdminSessionsAndConsents(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		receiver, tokens := logoutTokens(t, func(int) int { return http.StatusOK })
		bc := e.addBackchannelClient("bc", receiver)
		b := e.browser()
		a := newAuthRequest()
		e.code(b.signIn(bc.authURL(a), "bob", bobPass), a)
		e.signedInAs(e.webRP(), b, "bob", bobPass) // consents to web
		bob, _ := e.store.Members.ByUsername(t.Context(), "bob")
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)

		r := e.call(ops, http.MethodGet, "/members/"+bob.ID+"/consents", nil).want(t, http.StatusOK)
		if items, _ := r.json["items"].([]any); len(items) != 1 || items[0].(map[string]any)["client_id"] != "web" {
			t.Fatalf("bob's consents: %s; want the one to web", r.body)
		}
		e.call(ops, http.MethodDelete, "/members/"+bob.ID+"/consents/web", nil).want(t, http.StatusNoContent)
		e.call(ops, http.MethodDelete, "/members/"+bob.ID+"/consents/web", nil).want(t, http.StatusNotFound, "not-found")
		if _, err := e.store.Consents.Get(t.Context(), bob.ID, "web"); err == nil {
			t.Fatal("the consent is still stored")
		}

		r = e.call(ops, http.MethodGet, "/members/"+bob.ID+"/sessions", nil).want(t, http.StatusOK)
		items, _ := r.json["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("bob's sessions: %s", r.body)
		}
		sid := items[0].(map[string]any)["id"].(string)
		e.call(ops, http.MethodDelete, "/sessions/"+sid, nil).want(t, http.StatusNoContent)
		receive(t, tokens)
		if ev := e.audit.last(idp.AuditSessionEnded); ev == nil || ev["session"] != sid || ev["actor"] != "client:ops" {
			t.Fatalf("audit event = %v", ev)
		}
		e.call(ops, http.MethodDelete, "/sessions/"+sid, nil).want(t, http.StatusNotFound, "not-found")
		e.call(ops, http.MethodGet, "/members/nobody/sessions", nil).want(t, http.StatusNotFound, "not-found")
		e.call(ops, http.MethodGet, "/members/nobody/consents", nil).want(t, http.StatusNotFound, "not-found")
	})
}
