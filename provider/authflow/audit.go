package authflow

import (
	"context"
	"net/http"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
)

// Recorder writes an audit event in the transaction ctx carries, if any
// (audit.Log does), so the event commits with the change it describes.
type Recorder interface {
	Record(ctx context.Context, e idp.AuditEvent) error
}

// Reasons of a failed sign-in, in the audit trail, the log and the
// idp_logins_total metric: fixed words, never what was typed.
const (
	reasonBadCredentials  = "bad_credentials"
	reasonUsernameTooLong = "username_too_long"
	reasonDisabled        = "disabled" // right password, disabled member
)

// record writes e when the handlers have a Recorder.
func (h *Handlers) record(ctx context.Context, e idp.AuditEvent) error {
	if h.cfg.Audit == nil {
		return nil
	}
	return h.cfg.Audit.Record(ctx, e)
}

// signIn describes a sign-in attempt for the log and the trail: the
// client address and a non-reversible reference to the account named,
// known or not (web.Throttle.AccountRef).
type signIn struct {
	clientID, memberID, address, account string
}

func (h *Handlers) newSignIn(r *http.Request, f idp.Flow, m idp.Member, username string) signIn {
	return signIn{clientID: f.ClientID, memberID: m.ID, address: h.web.ClientAddr(r),
		account: h.throttle.AccountRef(web.AccountName(m, username))}
}

// event is the audit event of the attempt; reason is set for a failure.
func (s signIn) event(typ idp.AuditType, reason string) idp.AuditEvent {
	e := idp.AuditEvent{Type: typ, ClientID: s.clientID, MemberID: s.memberID, Address: s.address,
		Actor: idp.ActorSystem, Detail: map[string]any{"account": s.account}}
	if s.memberID != "" {
		e.Actor = idp.ActorMember(s.memberID)
	}
	if reason != "" {
		e.Detail["reason"] = reason
	}
	return e
}

// logArgs are the attempt's attributes for a log line.
func (s signIn) logArgs(more ...any) []any {
	return append([]any{"client", s.clientID, "member", s.memberID, "address", s.address, "account", s.account}, more...)
}

// failed logs and records a refused sign-in. Recording is best effort:
// the answer to the attempt does not depend on it.
func (h *Handlers) failed(ctx context.Context, s signIn, typ idp.AuditType, reason string) {
	if typ == idp.AuditLoginThrottled {
		h.log.WarnContext(ctx, "sign-in throttled", s.logArgs()...)
	} else {
		h.log.InfoContext(ctx, "sign-in failed", s.logArgs("reason", reason)...)
	}
	if err := h.record(ctx, s.event(typ, reason)); err != nil {
		h.log.ErrorContext(ctx, "record sign-in", "err", err)
	}
}
