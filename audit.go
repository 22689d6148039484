package idp

import "time"

// AuditEvent is one security-relevant thing that happened: a sign-in, a
// consent, a token, an administrative change. Events are written in the
// same transaction as the change they describe, so the trail never claims
// a change that was rolled back nor misses one that was committed.
type AuditEvent struct {
	ID   string
	Time time.Time
	Type AuditType
	// Actor is who caused the event: "member:<id>", "client:<id>",
	// "system" (periodic cleanup, key schedule) or "cli" (an operator at
	// the command line).
	Actor     string
	MemberID  string
	ClientID  string
	SessionID string
	// Address is the client address of the request, where there was one.
	Address string
	// Detail holds the event's own facts (reason, grant type, before and
	// after of changed fields). It never holds a password, secret or token.
	Detail map[string]any
}

// AuditType names a kind of event; the names are stable, since alerts and
// queries select on them.
type AuditType string

// The events the provider records.
const (
	AuditLoginSucceeded   AuditType = "login.succeeded"
	AuditLoginFailed      AuditType = "login.failed"
	AuditLoginThrottled   AuditType = "login.throttled"
	AuditConsentGranted   AuditType = "consent.granted"
	AuditConsentRevoked   AuditType = "consent.revoked"
	AuditTokenIssued      AuditType = "token.issued"
	AuditRefreshReuse     AuditType = "refresh.reuse_detected"
	AuditLogout           AuditType = "logout"
	AuditSessionEnded     AuditType = "session.ended"
	AuditKeyRotated       AuditType = "key.rotated"
	AuditKeyRemoved       AuditType = "key.removed"
	AuditMemberCreated    AuditType = "member.created"
	AuditMemberUpdated    AuditType = "member.updated"
	AuditMemberDeleted    AuditType = "member.deleted"
	AuditMemberInvited    AuditType = "member.invited"
	AuditClientCreated    AuditType = "client.created"
	AuditClientUpdated    AuditType = "client.updated"
	AuditClientDeleted    AuditType = "client.deleted"
	AuditClientSecretSet  AuditType = "client.secret_rotated"
	AuditClientRegistered AuditType = "client.registered"
	// AuditMailSent and AuditMailFailed follow the delivery of a mailed
	// link (detail: its kind); the link itself is never recorded.
	AuditMailSent   AuditType = "mail.sent"
	AuditMailFailed AuditType = "mail.failed"
	// AuditPasswordReset, AuditEmailVerified and AuditInvitationAccepted
	// record a mailed link used.
	AuditPasswordReset      AuditType = "password.reset"
	AuditEmailVerified      AuditType = "email.verified"
	AuditInvitationAccepted AuditType = "invitation.accepted"
	// AuditLoginFactorPassed is a sign-in factor passed while another is
	// still owed (detail "method"); the member is not signed in yet.
	AuditLoginFactorPassed AuditType = "login.factor_passed"
	// Second factors: a TOTP confirmed, removed by its member, every
	// factor reset by an administrator, recovery codes replaced.
	AuditMFAEnrolled      AuditType = "mfa.enrolled"
	AuditMFARemoved       AuditType = "mfa.removed"
	AuditMFAReset         AuditType = "mfa.reset"
	AuditMFARecoveryCodes AuditType = "mfa.recovery_codes_replaced"
	// A member added, renamed or removed a passkey, or signed in with one
	// (the sign-in itself is login.succeeded; passkey.used marks which).
	AuditPasskeyAdded   AuditType = "passkey.added"
	AuditPasskeyRenamed AuditType = "passkey.renamed"
	AuditPasskeyRemoved AuditType = "passkey.removed"
	AuditPasskeyUsed    AuditType = "passkey.used"
	// AuditPasswordChanged is a member changing their own password on the
	// account page; AuditPasswordChangeFailed a wrong current password
	// there, or one refused by the sign-in throttle (Detail "reason").
	AuditPasswordChanged      AuditType = "password.changed"
	AuditPasswordChangeFailed AuditType = "password.change_failed"
)

// ActorSystem is the actor of events nobody asked for directly.
const ActorSystem = "system"

// ActorMember and ActorClient name the actor of an event.
func ActorMember(id string) string { return "member:" + id }
func ActorClient(id string) string { return "client:" + id }
