// Package passkey is the relying party side of WebAuthn (W3C Web
// Authentication Level 3) over go-webauthn: the options a page hands to
// navigator.credentials, and the verification of the authenticator's
// answer against the challenge stored for that page. The challenge is
// stored server-side (storage.WebAuthnChallenges), bound to the sign-in
// flow or the session that asked for it, and taken once. The relying
// party id is the issuer's host and the only origin the issuer's origin.
// The pages that use it live in provider/authflow (sign-in) and
// provider/account (registration).
package passkey

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// Bounds on stored challenges. Sign-in challenges are made for anonymous
// browsers, so these are what one can make the store hold, as for flows.
const (
	// ChallengeLifespan is how long an answer may take: the browser's own
	// default timeout for a ceremony with user verification (WebAuthn
	// §5.4.6, five minutes).
	ChallengeLifespan = 5 * time.Minute
	// maxPerBrowser: one challenge per flow or session, and a browser has
	// at most ten flows open.
	maxPerBrowser = 10
	// maxPerAddress matches the flows one address may hold.
	maxPerAddress = 100
	// handleBytes is the size of a member's random user handle (at most
	// 64, WebAuthn §5.4.3); it carries nothing about the member.
	handleBytes = 32
)

// Errors of the ceremonies. Each wraps the library's detail for the log;
// pages show a fixed sentence.
var (
	// ErrNoChallenge: no live challenge for this flow or session (never
	// asked, already used, expired or replaced).
	ErrNoChallenge = errors.New("passkey: no live challenge")
	// ErrRefused: the answer did not verify (signature, origin, type,
	// challenge, user verification, unknown or foreign credential).
	ErrRefused = errors.New("passkey: answer refused")
	// ErrCounter: the signature counter did not move forward, a sign of
	// a cloned authenticator, or a concurrent use of the same answer.
	ErrCounter = errors.New("passkey: signature counter did not advance")
	// ErrDuplicate: the authenticator's credential is registered already.
	ErrDuplicate = errors.New("passkey: credential already registered")
)

// Config is what the service needs.
type Config struct {
	Issuer string
	// RPName is shown by the authenticator while it creates a passkey;
	// the issuer's host when empty.
	RPName string
	Store  *storage.Store
	Now    func() time.Time
}

// Service runs the ceremonies.
type Service struct {
	wa    *webauthn.WebAuthn
	store *storage.Store
	now   func() time.Time
}

// ErrUnavailable is New's answer for an issuer whose host is an IP
// address: WebAuthn relying party ids are domains (§5.1.1), so such a
// provider (development, tests) offers no passkeys.
var ErrUnavailable = errors.New("passkey: the issuer's host is not a domain")

// New returns the service for cfg.Issuer.
func New(cfg Config) (*Service, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("passkey: issuer %q: not an absolute URL", cfg.Issuer)
	}
	if net.ParseIP(u.Hostname()) != nil {
		return nil, ErrUnavailable
	}
	if cfg.RPName == "" {
		cfg.RPName = u.Hostname()
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: cfg.RPName, RPOrigins: []string{u.Scheme + "://" + u.Host},
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ChallengeLifespan, TimeoutUVD: ChallengeLifespan},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ChallengeLifespan, TimeoutUVD: ChallengeLifespan},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &Service{wa: wa, store: cfg.Store, now: cfg.Now}, nil
}

// Binding is what a challenge belongs to and the digests it is bounded
// by.
type Binding struct {
	// Key is FlowKey or SessionKey.
	Key                   string
	BrowserHash, AddrHash string
}

// FlowKey binds a sign-in challenge to its flow; SessionKey a
// registration challenge to the session.
func FlowKey(flowID string) string       { return "flow:" + flowID }
func SessionKey(sessionID string) string { return "session:" + sessionID }

// user is a member as go-webauthn sees them.
type user struct {
	m      idp.Member
	handle []byte
	keys   []idp.Passkey
}

func (u user) WebAuthnID() []byte { return u.handle }
func (u user) WebAuthnName() string {
	if u.m.Username != "" {
		return u.m.Username
	}
	return u.m.Email
}
func (u user) WebAuthnDisplayName() string { return u.m.Name }
func (u user) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(u.keys))
	for _, k := range u.keys {
		out = append(out, credential(k))
	}
	return out
}

var b64 = base64.RawURLEncoding

func credential(k idp.Passkey) webauthn.Credential {
	id, _ := b64.DecodeString(k.ID)
	pub, _ := b64.DecodeString(k.PublicKey)
	aaguid, _ := b64.DecodeString(k.AAGUID)
	c := webauthn.Credential{ID: id, PublicKey: pub, AttestationType: k.AttestationType,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: k.UserVerified,
			BackupEligible: k.BackupEligible, BackupState: k.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: aaguid, SignCount: k.SignCount}}
	for _, t := range k.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

// loadUser returns m with their handle (created on first need) and
// passkeys.
func (s *Service) loadUser(ctx context.Context, m idp.Member) (user, error) {
	candidate := make([]byte, handleBytes)
	_, _ = rand.Read(candidate)
	h, err := s.store.Passkeys.Handle(ctx, m.ID, b64.EncodeToString(candidate))
	if err != nil {
		return user{}, err
	}
	handle, err := b64.DecodeString(h)
	if err != nil {
		return user{}, fmt.Errorf("passkey: stored user handle: %w", err)
	}
	keys, err := s.store.Passkeys.ByMember(ctx, m.ID)
	return user{m: m, handle: handle, keys: keys}, err
}

// save stores the ceremony's session data under b and returns the
// browser's options as JSON (the publicKey member).
func (s *Service) save(ctx context.Context, b Binding, options any, sess *webauthn.SessionData) (string, error) {
	data, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	c := idp.WebAuthnChallenge{Binding: b.Key, BrowserHash: b.BrowserHash, AddrHash: b.AddrHash, Data: string(data),
		CreatedAt: now, ExpiresAt: now.Add(ChallengeLifespan)}
	if err := s.store.WebAuthnChallenges.Put(ctx, &c, maxPerBrowser, maxPerAddress); err != nil {
		return "", err
	}
	out, err := json.Marshal(options)
	return string(out), err
}

// take removes and decodes the live challenge of key.
func (s *Service) take(ctx context.Context, key string) (webauthn.SessionData, error) {
	var sess webauthn.SessionData
	c, err := s.store.WebAuthnChallenges.Take(ctx, key, s.now())
	if errors.Is(err, idp.ErrNotFound) {
		return sess, ErrNoChallenge
	}
	if err != nil {
		return sess, err
	}
	if err := json.Unmarshal([]byte(c.Data), &sess); err != nil {
		return sess, fmt.Errorf("passkey: stored challenge: %w", err)
	}
	return sess, nil
}

// refused wraps a library error as ErrRefused with its developer detail,
// for the log only.
func refused(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%w: %s (%s)", ErrRefused, pe.Details, pe.DevInfo)
	}
	return fmt.Errorf("%w: %w", ErrRefused, err)
}
