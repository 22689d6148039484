package passkey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/idp/idp"
)

// maxNameBytes bounds a passkey's name: a label on a list.
const maxNameBytes = 100

// CleanName trims name and gives an empty one a default; a name longer
// than maxNameBytes returns an error wrapping idp.ErrInvalid.
func CleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if len(name) > maxNameBytes {
		return "", fmt.Errorf("passkey name longer than %d bytes: %w", maxNameBytes, idp.ErrInvalid)
	}
	if name == "" {
		name = "Passkey"
	}
	return name, nil
}

// BeginRegistration stores a registration challenge for m under b and
// returns the creation options: a discoverable credential with user
// verification, excluding m's passkeys so one authenticator is not
// registered twice.
func (s *Service) BeginRegistration(ctx context.Context, m idp.Member, b Binding) (string, error) {
	u, err := s.loadUser(ctx, m)
	if err != nil {
		return "", err
	}
	creation, sess, err := s.wa.BeginRegistration(u,
		webauthn.WithExclusions(webauthn.Credentials(u.WebAuthnCredentials()).CredentialDescriptors()))
	if err != nil {
		return "", fmt.Errorf("passkey: begin registration: %w", err)
	}
	return s.save(ctx, b, creation.Response, sess)
}

// FinishRegistration takes the registration challenge of key and
// verifies response (the JSON of the browser's PublicKeyCredential)
// against it for m, then stores the new passkey under name, calling
// added (the audit record) in the same transaction. The challenge is
// spent whatever the outcome.
func (s *Service) FinishRegistration(ctx context.Context, m idp.Member, key, response, name string,
	added func(context.Context, idp.Passkey) error) (idp.Passkey, error) {
	sess, err := s.take(ctx, key)
	if err != nil {
		return idp.Passkey{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(response))
	if err != nil {
		return idp.Passkey{}, refused(err)
	}
	u, err := s.loadUser(ctx, m)
	if err != nil {
		return idp.Passkey{}, err
	}
	cred, err := s.wa.CreateCredential(u, sess, parsed)
	if err != nil {
		return idp.Passkey{}, refused(err)
	}
	pk := idp.Passkey{
		ID: b64.EncodeToString(cred.ID), MemberID: m.ID, Name: name, PublicKey: b64.EncodeToString(cred.PublicKey),
		AttestationType: cred.AttestationType, AAGUID: b64.EncodeToString(cred.Authenticator.AAGUID),
		SignCount: cred.Authenticator.SignCount, BackupEligible: cred.Flags.BackupEligible,
		BackupState: cred.Flags.BackupState, UserVerified: cred.Flags.UserVerified, CreatedAt: s.now(),
	}
	for _, t := range cred.Transport {
		pk.Transports = append(pk.Transports, string(t))
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.Passkeys.Add(ctx, &pk); err != nil {
			return err
		}
		return added(ctx, pk)
	})
	if errors.Is(err, idp.ErrConflict) {
		return idp.Passkey{}, ErrDuplicate
	}
	return pk, err
}

// BeginLogin stores a sign-in challenge under b and returns the request
// options. With memberID "" the ceremony is discoverable (empty
// allowCredentials: the authenticator offers its passkeys for this
// relying party); otherwise it allows only that member's passkeys (a
// second factor), and ok is false when they have none.
func (s *Service) BeginLogin(ctx context.Context, b Binding, memberID string) (options string, ok bool, err error) {
	var assertion *protocol.CredentialAssertion
	var sess *webauthn.SessionData
	uv := webauthn.WithUserVerification(protocol.VerificationRequired)
	if memberID == "" {
		assertion, sess, err = s.wa.BeginDiscoverableLogin(uv)
	} else {
		var m idp.Member
		if m, err = s.store.Members.ByID(ctx, memberID); err != nil {
			return "", false, err
		}
		var u user
		if u, err = s.loadUser(ctx, m); err != nil || len(u.keys) == 0 {
			return "", false, err
		}
		assertion, sess, err = s.wa.BeginLogin(u, uv)
	}
	if err != nil {
		return "", false, fmt.Errorf("passkey: begin login: %w", err)
	}
	options, err = s.save(ctx, b, assertion.Response, sess)
	return options, err == nil, err
}

// Login is a verified sign-in.
type Login struct {
	Member  idp.Member
	Passkey idp.Passkey
}

// FinishLogin takes the sign-in challenge of key and verifies response
// (the JSON of the browser's PublicKeyCredential) against it: for the
// member whose user handle it carries when memberID is "" (discoverable),
// otherwise for memberID's passkeys only. A signature counter that does
// not advance is refused (ErrCounter), and the passkey's counter, backup
// state and last use are stored. Whether the member may sign in is the
// caller's rule. The challenge is spent whatever the outcome.
func (s *Service) FinishLogin(ctx context.Context, key, response, memberID string) (Login, error) {
	sess, err := s.take(ctx, key)
	if err != nil {
		return Login{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(response))
	if err != nil {
		return Login{}, refused(err)
	}
	var u user
	var cred *webauthn.Credential
	if memberID == "" {
		var found webauthn.User
		found, cred, err = s.wa.ValidatePasskeyLogin(func(_, handle []byte) (webauthn.User, error) {
			id, err := s.store.Passkeys.MemberByHandle(ctx, b64.EncodeToString(handle))
			if err != nil {
				return nil, err
			}
			m, err := s.store.Members.ByID(ctx, id)
			if err != nil {
				return nil, err
			}
			return s.loadUser(ctx, m)
		}, sess, parsed)
		if err == nil {
			u = found.(user)
		}
	} else {
		var m idp.Member
		if m, err = s.store.Members.ByID(ctx, memberID); err != nil {
			return Login{}, err
		}
		if u, err = s.loadUser(ctx, m); err != nil {
			return Login{}, err
		}
		cred, err = s.wa.ValidateLogin(u, sess, parsed)
	}
	if err != nil {
		return Login{}, refused(err)
	}
	var pk idp.Passkey
	for _, k := range u.keys {
		if id, _ := b64.DecodeString(k.ID); bytes.Equal(id, cred.ID) {
			pk = k
		}
	}
	if pk.ID == "" {
		return Login{}, fmt.Errorf("%w: credential not among the member's", ErrRefused)
	}
	if cred.Authenticator.CloneWarning {
		return Login{Member: u.m, Passkey: pk}, fmt.Errorf("%w: stored %d", ErrCounter, pk.SignCount)
	}
	now := s.now()
	err = s.store.Passkeys.Used(ctx, pk.ID, pk.SignCount, cred.Authenticator.SignCount, cred.Flags.BackupState, now)
	if errors.Is(err, idp.ErrConflict) {
		return Login{Member: u.m, Passkey: pk}, fmt.Errorf("%w: changed concurrently", ErrCounter)
	}
	if err != nil {
		return Login{}, err
	}
	pk.SignCount, pk.BackupState, pk.LastUsedAt = cred.Authenticator.SignCount, cred.Flags.BackupState, now
	return Login{Member: u.m, Passkey: pk}, nil
}
