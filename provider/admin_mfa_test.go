package provider_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestAdminMFA: an administrator sets a member's mfa_required and a
// client's require_mfa through the API (both shown back, audited), and
// resets the second factors of a member who lost them: audited, the
// member's code no longer asked, their recovery codes gone; a member
// who must have one enrols again at the next sign-in.
func TestAdminMFA(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		bob := e.giveTOTP("bob@example.com")
		must(e.factors().NewRecoveryCodes(t.Context(), bob.ID))

		r := e.call(ops, http.MethodGet, "/members/"+bob.ID, nil).want(t, http.StatusOK)
		if r.json["mfa_required"] != false {
			t.Fatalf("member shows mfa_required %v, want false", r.json["mfa_required"])
		}
		r = e.call(ops, http.MethodPatch, "/members/"+bob.ID, map[string]any{"mfa_required": true}, "If-Match", r.header.Get("ETag")).want(t, http.StatusOK)
		if r.json["mfa_required"] != true || !e.member("bob@example.com").MFARequired {
			t.Fatalf("after PATCH mfa_required: %s", r.body)
		}
		if ev := e.audit.last(idp.AuditMemberUpdated); ev == nil {
			t.Error("no member.updated event for mfa_required")
		}
		c := e.call(ops, http.MethodGet, "/clients/web2", nil).want(t, http.StatusOK)
		c = e.call(ops, http.MethodPatch, "/clients/web2", map[string]any{"require_mfa": true}, "If-Match", c.header.Get("ETag")).want(t, http.StatusOK)
		if c.json["require_mfa"] != true {
			t.Fatalf("after PATCH require_mfa: %s", c.body)
		}
		if cl, err := e.store.Clients.ByID(t.Context(), "web2"); err != nil || !cl.RequireMFA {
			t.Fatalf("stored client: %+v, %v", cl, err)
		}

		e.call(ops, http.MethodPost, "/members/nobody/reset-mfa", nil).want(t, http.StatusNotFound)
		e.call(ops, http.MethodPost, "/members/"+bob.ID+"/reset-mfa", nil).want(t, http.StatusNoContent)
		if ev := e.audit.last(idp.AuditMFAReset); ev == nil || ev["actor"] != "client:ops" || ev["member"] != bob.ID {
			t.Fatalf("mfa.reset event = %v", ev)
		}
		if n := must(e.factors().RecoveryCodesLeft(t.Context(), bob.ID)); n != 0 {
			t.Errorf("%d recovery codes left after the reset", n)
		}
		// bob must have a factor: he enrols again.
		rp := e.web2RP()
		b := e.browser()
		a := newAuthRequest()
		pg := b.submit(b.get(rp.authURL(a)), url.Values{"username": {"bob"}, "password": {bobPass}}, "", "")
		_, claims := rp.redeem(b.enrolInFlow(pg, time.Now()).redirect(t), a)
		wantAssurance(t, claims, idp.ACRMFA, idp.AMRPassword, idp.AMROTP, idp.AMRMFA)
	})
}
