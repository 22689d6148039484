package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idp/idp"
)

// TestObserve maps audit events to counters, and keeps labels taken from
// event details to fixed words: a grant type a client made up, or a
// reason that is free text, must not become a series of its own.
func TestObserve(t *testing.T) {
	m := New(Sources{})
	for _, e := range []idp.AuditEvent{
		{Type: idp.AuditLoginSucceeded},
		{Type: idp.AuditLoginFailed, Detail: map[string]any{"reason": "bad_credentials"}},
		{Type: idp.AuditLoginFailed, Detail: map[string]any{"reason": "bad_credentials"}},
		{Type: idp.AuditLoginFailed, Detail: map[string]any{"reason": "alice@example.com typed\nhunter2"}},
		{Type: idp.AuditLoginFailed},
		{Type: idp.AuditLoginThrottled},
		{Type: idp.AuditTokenIssued, Detail: map[string]any{"grant_type": "client_credentials"}},
		{Type: idp.AuditTokenIssued, Detail: map[string]any{"grant_type": "urn:example:made-up-" + "x"}},
		{Type: idp.AuditRefreshReuse},
		{Type: idp.AuditMemberCreated},
	} {
		m.Observe(e)
	}
	m.BackchannelDelivery(DeliveryDelivered)
	m.BackchannelDelivery(DeliveryFailed)
	m.BackchannelDelivery("https://rp.example/logout")

	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"logins success", testutil.ToFloat64(m.logins.WithLabelValues(LoginSuccess)), 1},
		{"logins bad_credentials", testutil.ToFloat64(m.logins.WithLabelValues(LoginBadCredentials)), 2},
		{"logins failed (free text, missing)", testutil.ToFloat64(m.logins.WithLabelValues(LoginFailed)), 2},
		{"logins throttled", testutil.ToFloat64(m.logins.WithLabelValues(LoginThrottled)), 1},
		{"tokens client_credentials", testutil.ToFloat64(m.tokens.WithLabelValues("client_credentials")), 1},
		{"tokens other", testutil.ToFloat64(m.tokens.WithLabelValues(grantOther)), 1},
		{"refresh reuse", testutil.ToFloat64(m.refreshReuse), 1},
		{"backchannel delivered", testutil.ToFloat64(m.backchannel.WithLabelValues(DeliveryDelivered)), 1},
		{"backchannel failed", testutil.ToFloat64(m.backchannel.WithLabelValues(DeliveryFailed)), 1},
		{"backchannel other", testutil.ToFloat64(m.backchannel.WithLabelValues(deliveryOther)), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// success, bad_credentials, throttled, failed: nothing else.
	if n := testutil.CollectAndCount(m.logins); n != 4 {
		t.Errorf("idp_logins_total has %d series, want 4", n)
	}
	if n := testutil.CollectAndCount(m.tokens); n != len(grantTypes)+1 {
		t.Errorf("idp_tokens_issued_total has %d series, want %d", n, len(grantTypes)+1)
	}
}
