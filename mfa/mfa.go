// Package mfa holds the rules of second factors that are not a protocol's:
// TOTP enrolment and checking (RFC 6238, through github.com/pquerna/otp),
// replay refusal, recovery codes, and which factors a member has. Secrets
// are sealed under a key derived from the system secret (keys.Box) and
// bound to the member; recovery codes are stored as keyed hashes. The
// sign-in step, the account page, the admin API, the CLI and the
// bootstrap file all go through it, so they apply the same rules.
package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
)

// ErrBadCode means a code was wrong, already used, or there is no factor
// to check it against: callers answer all of these with one message.
var ErrBadCode = errors.New("mfa: code not accepted")

// TOTP parameters: what authenticator apps expect (RFC 6238 defaults).
const (
	period = 30
	digits = otp.DigitsSix
	// skew is how many steps either side of now are accepted, for clocks
	// that drift; each code then works for about 90 seconds, once.
	skew = 1
	// maxCodeBytes bounds what is looked at of a submitted code; the
	// longest valid input is a recovery code with separators.
	maxCodeBytes = 64
)

// recoveryAlphabet spells recovery codes: lower-case base32, which has no
// look-alike pairs such as 0/O or 1/l.
var recoveryAlphabet = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// recoveryBytes is a recovery code's randomness: 60 bits, far beyond what
// the sign-in throttle lets anyone try, spelled as 12 characters.
const recoveryBytes = 8

// Factors checks and changes members' second factors.
type Factors struct {
	store  *storage.Store
	box    *keys.Box
	hmac   []byte
	issuer string
	now    func() time.Time
}

// New returns the second-factor rules over store, with keys derived from
// the system secret. issuer names the provider in authenticator apps.
func New(store *storage.Store, secret []byte, issuer string, now func() time.Time) *Factors {
	if now == nil {
		now = time.Now
	}
	return &Factors{store: store, box: keys.NewBox(secret, keys.PurposeTOTP),
		hmac: keys.Derive(secret, keys.PurposeRecoveryCodes), issuer: issuer, now: now}
}

// Methods lists the second factors the member can use now, as RFC 8176
// values (idp.AMROTP for a confirmed TOTP). A new kind of factor is added
// here, and every rule that asks "has the member a second factor" sees it.
func (f *Factors) Methods(ctx context.Context, memberID string) ([]string, error) {
	t, err := f.store.Factors.TOTP(ctx, memberID)
	switch {
	case errors.Is(err, idp.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case t.Confirmed:
		return []string{idp.AMROTP}, nil
	}
	return nil, nil
}

// Enrolment is a pending TOTP: the key to show (QR code and text).
type Enrolment struct{ Key *otp.Key }

// Secret is the base32 secret, for typing into an app.
func (e Enrolment) Secret() string { return e.Key.Secret() }

// Start creates (or replaces) the member's pending TOTP enrolment and
// returns its key. A member with a confirmed TOTP gets an error wrapping
// idp.ErrConflict: they remove it first.
func (f *Factors) Start(ctx context.Context, m idp.Member) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: f.issuerName(), AccountName: accountName(m), Period: period, Digits: digits})
	if err != nil {
		return Enrolment{}, fmt.Errorf("mfa: generate: %w", err)
	}
	t := idp.TOTP{MemberID: m.ID, Sealed: f.box.Seal([]byte(key.Secret()), []byte(m.ID)), CreatedAt: f.now()}
	if err := f.store.Factors.StartTOTP(ctx, t); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Key: key}, nil
}

// Pending returns the member's pending enrolment, or an error wrapping
// idp.ErrNotFound when they have none (none started, or confirmed).
func (f *Factors) Pending(ctx context.Context, m idp.Member) (Enrolment, error) {
	t, err := f.store.Factors.TOTP(ctx, m.ID)
	if err != nil {
		return Enrolment{}, err
	}
	if t.Confirmed {
		return Enrolment{}, fmt.Errorf("mfa: pending: %w", idp.ErrNotFound)
	}
	secret, err := f.open(t)
	if err != nil {
		return Enrolment{}, err
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return Enrolment{}, fmt.Errorf("mfa: pending secret: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: f.issuerName(), AccountName: accountName(m), Period: period, Digits: digits, Secret: raw})
	if err != nil {
		return Enrolment{}, fmt.Errorf("mfa: pending key: %w", err)
	}
	return Enrolment{Key: key}, nil
}

// Confirm checks code against the member's pending enrolment and, when
// it is right, makes the TOTP a second factor (its step spent) and
// returns a fresh set of recovery codes to show once, in one transaction.
// A wrong code, or no pending enrolment, is ErrBadCode.
func (f *Factors) Confirm(ctx context.Context, memberID, code string) ([]string, error) {
	t, err := f.store.Factors.TOTP(ctx, memberID)
	if errors.Is(err, idp.ErrNotFound) || (err == nil && t.Confirmed) {
		return nil, ErrBadCode
	}
	if err != nil {
		return nil, err
	}
	secret, err := f.open(t)
	if err != nil {
		return nil, err
	}
	step, ok := matchStep(secret, code, f.now(), -1)
	if !ok {
		return nil, ErrBadCode
	}
	var codes []string
	err = f.store.InTx(ctx, func(ctx context.Context) error {
		if err := f.store.Factors.ConfirmTOTP(ctx, memberID, step); err != nil {
			return err
		}
		codes, err = f.setRecoveryCodes(ctx, memberID)
		return err
	})
	if errors.Is(err, idp.ErrNotFound) { // confirmed by a concurrent request
		return nil, ErrBadCode
	}
	return codes, err
}

// SetSecret gives the member a confirmed TOTP with the given base32
// secret, replacing any: for the bootstrap file's totp_secret (demos and
// tests only; a real secret is never typed into a file).
func (f *Factors) SetSecret(ctx context.Context, memberID, secret string) error {
	secret, err := NormalizeSecret(secret)
	if err != nil {
		return err
	}
	return f.store.InTx(ctx, func(ctx context.Context) error {
		if err := f.store.Factors.DeleteTOTP(ctx, memberID); err != nil && !errors.Is(err, idp.ErrNotFound) {
			return err
		}
		t := idp.TOTP{MemberID: memberID, Sealed: f.box.Seal([]byte(secret), []byte(memberID)), CreatedAt: f.now()}
		if err := f.store.Factors.StartTOTP(ctx, t); err != nil {
			return err
		}
		return f.store.Factors.ConfirmTOTP(ctx, memberID, 0)
	})
}

// HasSecret reports whether the member's confirmed TOTP has the secret
// (as NormalizeSecret returns it).
func (f *Factors) HasSecret(ctx context.Context, memberID, secret string) (bool, error) {
	t, err := f.store.Factors.TOTP(ctx, memberID)
	if errors.Is(err, idp.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	got, err := f.open(t)
	return err == nil && t.Confirmed && got == secret, err
}

// NormalizeSecret checks a base32 TOTP secret (upper or lower case,
// padded or not, spaces ignored) and returns it upper-case without
// padding. It must hold at least 80 bits (RFC 4226 §4 asks for 128, and
// recommends 160).
func NormalizeSecret(s string) (string, error) {
	s = strings.ToUpper(strings.TrimRight(strings.ReplaceAll(s, " ", ""), "="))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("%w: totp_secret is not base32", idp.ErrInvalid)
	}
	if len(b) < 10 {
		return "", fmt.Errorf("%w: totp_secret has %d bits, want at least 80", idp.ErrInvalid, 8*len(b))
	}
	return s, nil
}

// Check accepts code as the member's second factor: a current TOTP code
// not used before, or one of their unused recovery codes, which it
// spends. It returns the method (idp.AMROTP for both: a recovery code
// stands in for the authenticator) or ErrBadCode.
func (f *Factors) Check(ctx context.Context, memberID, code string) (string, error) {
	code = normalizeCode(code)
	if code == "" {
		return "", ErrBadCode
	}
	if isDigits(code) {
		return idp.AMROTP, f.checkTOTP(ctx, memberID, code)
	}
	err := f.store.Factors.UseRecoveryCode(ctx, memberID, f.recoveryHash(code))
	if errors.Is(err, idp.ErrNotFound) {
		return "", ErrBadCode
	}
	if err != nil {
		return "", err
	}
	return idp.AMROTP, nil
}

// checkTOTP accepts a code of a step within the skew later than the last
// step used, and spends that step with a conditional write.
func (f *Factors) checkTOTP(ctx context.Context, memberID, code string) error {
	t, err := f.store.Factors.TOTP(ctx, memberID)
	if errors.Is(err, idp.ErrNotFound) || (err == nil && !t.Confirmed) {
		return ErrBadCode
	}
	if err != nil {
		return err
	}
	secret, err := f.open(t)
	if err != nil {
		return err
	}
	step, ok := matchStep(secret, code, f.now(), t.LastStep)
	if !ok {
		return ErrBadCode
	}
	err = f.store.Factors.UseTOTPStep(ctx, memberID, step)
	if errors.Is(err, idp.ErrConflict) { // replayed by a concurrent request
		return ErrBadCode
	}
	return err
}

// matchStep finds the step within the skew of now, later than last, whose
// code is code. hotp compares in constant time.
func matchStep(secret, code string, now time.Time, last int64) (int64, bool) {
	cur := now.Unix() / period
	for s := cur - skew; s <= cur+skew; s++ {
		if s <= last || s < 0 {
			continue
		}
		ok, err := hotp.ValidateCustom(code, uint64(s), secret, hotp.ValidateOpts{Digits: digits, Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			return s, true
		}
	}
	return 0, false
}

// Code returns the TOTP code of secret at t, for tests and demos.
func Code(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: period, Digits: digits, Algorithm: otp.AlgorithmSHA1})
}

// NewRecoveryCodes replaces the member's recovery codes with a fresh set
// and returns them, to show once.
func (f *Factors) NewRecoveryCodes(ctx context.Context, memberID string) ([]string, error) {
	return f.setRecoveryCodes(ctx, memberID)
}

func (f *Factors) setRecoveryCodes(ctx context.Context, memberID string) ([]string, error) {
	codes := make([]string, idp.RecoveryCodeCount)
	hashes := make([]string, len(codes))
	for i := range codes {
		b := make([]byte, recoveryBytes)
		rand.Read(b) // never fails (crypto/rand)
		c := recoveryAlphabet.EncodeToString(b)[:12]
		codes[i] = c[:4] + "-" + c[4:8] + "-" + c[8:]
		hashes[i] = f.recoveryHash(c)
	}
	if err := f.store.Factors.SetRecoveryCodes(ctx, memberID, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// RecoveryCodesLeft counts the member's unused recovery codes.
func (f *Factors) RecoveryCodesLeft(ctx context.Context, memberID string) (int, error) {
	return f.store.Factors.RecoveryCodesLeft(ctx, memberID)
}

// Remove deletes the member's TOTP and recovery codes and reports
// whether there were any.
func (f *Factors) Remove(ctx context.Context, memberID string) (bool, error) {
	return f.store.Factors.DeleteAll(ctx, memberID)
}

// recoveryHash is the stored form of a normalised recovery code: an HMAC,
// since the codes are random (a slow hash would add cost, not safety).
func (f *Factors) recoveryHash(code string) string {
	m := hmac.New(sha256.New, f.hmac)
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

func (f *Factors) open(t idp.TOTP) (string, error) {
	b, err := f.box.Open(t.Sealed, []byte(t.MemberID))
	if err != nil {
		return "", fmt.Errorf("mfa: open secret of %s: %w", t.MemberID, err)
	}
	return string(b), nil
}

// normalizeCode drops spaces and dashes and lower-cases, so "123 456"
// and "ABCD-efgh-2345" are read as typed; over-long input is nobody's code.
func normalizeCode(code string) string {
	if len(code) > maxCodeBytes {
		return ""
	}
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code))
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (f *Factors) issuerName() string {
	name := strings.TrimPrefix(strings.TrimPrefix(f.issuer, "https://"), "http://")
	if name == "" {
		return "IdP"
	}
	return name
}

func accountName(m idp.Member) string {
	if m.Email != "" {
		return m.Email
	}
	return m.Username
}
