package members

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/mail"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
)

// LinkLifetime is how long a mailed link works: long enough to switch to
// the mailbox and back, short enough that an old mail in a mailbox read
// by someone else later opens nothing.
const LinkLifetime = 30 * time.Minute

// The pages mailed links point to; package authflow serves them.
const (
	PathReset  = "/password/reset"
	PathVerify = "/email/verify"
	PathInvite = "/invite"
)

var linkPaths = map[idp.MailTokenKind]string{
	idp.MailTokenReset: PathReset, idp.MailTokenVerify: PathVerify, idp.MailTokenInvite: PathInvite,
}

// ErrMailOff is the answer to a request for a mail when the provider has
// no mail server (--smtp-url unset). It wraps idp.ErrInvalid.
var ErrMailOff = fmt.Errorf("%w: mail is not configured (--smtp-url)", idp.ErrInvalid)

// ErrLinkInvalid is a mailed link that is unknown, expired, used, of
// another kind, or whose member or address changed since it was sent. It
// wraps idp.ErrNotFound. Callers show one answer for all of them.
var ErrLinkInvalid = fmt.Errorf("%w: the link is invalid, expired or already used", idp.ErrNotFound)

// Recorder writes an audit event in the transaction ctx carries (audit.Log).
type Recorder interface {
	Record(ctx context.Context, e idp.AuditEvent) error
}

// Mail sends members the links that reset a password, verify an address
// and accept an invitation, and carries out what using a link does. A
// link is a random token of 256 bits; only its hash is stored, it works
// once, for LinkLifetime, at the page of its own kind, and only while
// the member has the address it was sent to. Links are built from Issuer
// alone, never from anything in a request.
//
// The zero Queue turns mail off: requests for a mail then fail with
// ErrMailOff (or, for a password reset, do nothing) and no link is made.
type Mail struct {
	Store     *storage.Store
	Members   Service
	Queue     *mail.Queue
	Templates *mail.Templates
	Issuer    string
	Now       func() time.Time
	Audit     Recorder
}

// Enabled reports whether the provider sends mail.
func (x *Mail) Enabled() bool { return x != nil && x.Queue != nil }

// Actor is who asked for a mail or used a link, for the trail.
type Actor struct {
	// Actor is the audit actor ("member:<id>", "cli", ...); empty means
	// the member the link is about.
	Actor   string
	Address string
}

// RequestReset sends a reset link to the member whose address is email,
// if there is one who may sign in. It says nothing about whether there
// is: an unknown or disabled address gets no mail and no error, so the
// answer to the visitor is the same. Throttling is the caller's.
func (x *Mail) RequestReset(ctx context.Context, email string, by Actor) error {
	if !x.Enabled() {
		return ErrMailOff
	}
	m, err := x.Store.Members.ByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, idp.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if CanSignIn(m) != nil {
		return nil
	}
	return x.send(ctx, m, idp.MailTokenReset)
}

// SendVerification sends m a link that verifies their current address.
func (x *Mail) SendVerification(ctx context.Context, m idp.Member) error {
	if !x.Enabled() {
		return ErrMailOff
	}
	return x.send(ctx, m, idp.MailTokenVerify)
}

// Invite sends the member id a link to choose their password (their first,
// or a new one replacing whatever was set); using it also verifies the
// address. The console and the admin API call it.
func (x *Mail) Invite(ctx context.Context, id string) (idp.Member, error) {
	if !x.Enabled() {
		return idp.Member{}, ErrMailOff
	}
	m, err := x.Store.Members.ByID(ctx, id)
	if err != nil {
		return idp.Member{}, err
	}
	if m.Disabled {
		return idp.Member{}, fmt.Errorf("%w: member %s is disabled", idp.ErrInvalid, id)
	}
	return m, x.send(ctx, m, idp.MailTokenInvite)
}

// EmailChanged sends a verification link to the new address of the
// member id when a change (before is the member as it was) gave them an
// address that is not verified; it does nothing without mail. Run it in
// the change's transaction: the link commits with the change.
func (x *Mail) EmailChanged(ctx context.Context, before idp.Member, id string) error {
	if !x.Enabled() {
		return nil
	}
	m, err := x.Store.Members.ByID(ctx, id)
	if err != nil {
		return err
	}
	if strings.EqualFold(m.Email, before.Email) || m.EmailVerified || m.Disabled {
		return nil
	}
	return x.send(ctx, m, idp.MailTokenVerify)
}

// send stores a new link of kind for m (replacing their earlier one) and
// queues its mail once the transaction commits.
func (x *Mail) send(ctx context.Context, m idp.Member, kind idp.MailTokenKind) error {
	token := randomToken()
	now := x.Now().UTC()
	err := x.Store.MailTokens.Create(ctx, idp.MailToken{
		Hash: HashLink(token), Kind: kind, MemberID: m.ID, Email: m.Email,
		CreatedAt: now, ExpiresAt: now.Add(LinkLifetime),
	})
	if err != nil {
		return fmt.Errorf("mail %s link: %w", kind, err)
	}
	site := x.Issuer
	if u, err := url.Parse(x.Issuer); err == nil {
		site = u.Host
	}
	msg, err := x.Templates.Compose(mail.Kind(kind), m.Name, m.Email, mail.Data{
		Site: site, Link: x.Issuer + linkPaths[kind] + "?token=" + url.QueryEscape(token),
		Lifetime: "30 minutes",
	})
	if err != nil {
		return err
	}
	x.Store.AfterCommit(ctx, func() { x.Queue.Enqueue(mail.Job{Message: msg, Kind: mail.Kind(kind), MemberID: m.ID}) })
	return nil
}

// Check reports whether token is a live link of kind, without using it,
// so a page can say at once that a link is dead. Use decides.
func (x *Mail) Check(ctx context.Context, kind idp.MailTokenKind, token string) error {
	_, _, err := x.live(ctx, kind, token, false)
	return err
}

// live finds (use: consumes) the link and its member, refusing a link
// whose member may no longer sign in or whose address changed.
func (x *Mail) live(ctx context.Context, kind idp.MailTokenKind, token string, use bool) (idp.MailToken, idp.Member, error) {
	if token == "" || len(token) > 128 {
		return idp.MailToken{}, idp.Member{}, ErrLinkInvalid
	}
	find := x.Store.MailTokens.Get
	if use {
		find = x.Store.MailTokens.Use
	}
	t, err := find(ctx, HashLink(token), kind, x.Now())
	if errors.Is(err, idp.ErrNotFound) {
		return t, idp.Member{}, ErrLinkInvalid
	}
	if err != nil {
		return t, idp.Member{}, err
	}
	m, err := x.Store.Members.ByID(ctx, t.MemberID)
	if errors.Is(err, idp.ErrNotFound) || (err == nil && (m.Disabled || !strings.EqualFold(m.Email, t.Email))) {
		return t, m, ErrLinkInvalid
	}
	return t, m, err
}

// SetPassword uses a reset or invitation link: it sets pw (checked by
// CheckPassword first, before the link is used, so a refused password
// leaves the link working), marks the address verified (the link proved
// the member reads it), ends every session of the member and revokes
// their refresh tokens, and records the event, in one transaction.
func (x *Mail) SetPassword(ctx context.Context, kind idp.MailTokenKind, token, pw string, by Actor) (idp.Member, error) {
	if kind != idp.MailTokenReset && kind != idp.MailTokenInvite {
		return idp.Member{}, fmt.Errorf("%w: %s links set no password", idp.ErrInvalid, kind)
	}
	if password.Check(pw) != nil {
		return idp.Member{}, &FieldError{Field: "password",
			Msg: fmt.Sprintf("must be %d to %d characters", password.MinLength, password.MaxLength)}
	}
	var m idp.Member
	err := x.Store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if _, m, err = x.live(ctx, kind, token, true); err != nil {
			return err
		}
		m.EmailVerified = true
		ended, err := x.Members.SetPassword(ctx, m, pw, false)
		if err != nil {
			return err
		}
		// The other kind of link would set the password again.
		for _, k := range []idp.MailTokenKind{idp.MailTokenReset, idp.MailTokenInvite} {
			if err := x.Store.MailTokens.DeleteMember(ctx, m.ID, k); err != nil {
				return err
			}
		}
		typ := idp.AuditPasswordReset
		if kind == idp.MailTokenInvite {
			typ = idp.AuditInvitationAccepted
		}
		return x.record(ctx, by, m.ID, typ, map[string]any{"sessions_ended": ended})
	})
	return m, err
}

// Verify uses a verification link: the member's address becomes verified.
func (x *Mail) Verify(ctx context.Context, token string, by Actor) (idp.Member, error) {
	var m idp.Member
	err := x.Store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if _, m, err = x.live(ctx, idp.MailTokenVerify, token, true); err != nil {
			return err
		}
		m.EmailVerified = true
		if err := x.Store.Members.Update(ctx, m); err != nil {
			return err
		}
		return x.record(ctx, by, m.ID, idp.AuditEmailVerified, nil)
	})
	return m, err
}

func (x *Mail) record(ctx context.Context, by Actor, memberID string, typ idp.AuditType, detail map[string]any) error {
	if x.Audit == nil {
		return nil
	}
	actor := by.Actor
	if actor == "" {
		actor = idp.ActorMember(memberID)
	}
	return x.Audit.Record(ctx, idp.AuditEvent{Type: typ, Actor: actor, MemberID: memberID, Address: by.Address, Detail: detail})
}

// Delivered records the outcome of a mail's delivery (for mail.Queue's
// done function): the kind of link, never the link.
func (x *Mail) Delivered(j mail.Job, err error) error {
	if x.Audit == nil {
		return nil
	}
	e := idp.AuditEvent{Type: idp.AuditMailSent, Actor: idp.ActorSystem, MemberID: j.MemberID,
		Detail: map[string]any{"kind": string(j.Kind)}}
	if err != nil {
		e.Type = idp.AuditMailFailed
	}
	return x.Audit.Record(context.Background(), e)
}

// HashLink is the stored form of a link's token.
func HashLink(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
