package idp

import "time"

// TOTP is a member's authenticator app (RFC 6238). The shared secret is
// stored sealed (package keys, bound to the member), never in clear. An
// enrolment is pending until the member enters a first valid code
// (Confirmed); only a confirmed TOTP is a second factor.
type TOTP struct {
	MemberID  string
	Sealed    []byte
	Confirmed bool
	// LastStep is the last time step (Unix time / 30 s) whose code was
	// accepted: a code is accepted only for a later step, so each code
	// signs in once.
	LastStep  int64
	CreatedAt time.Time
}

// RecoveryCodeCount is how many recovery codes a member gets at a time:
// enough to lose the authenticator and sign in a few times while getting
// a new one, few enough to write down.
const RecoveryCodeCount = 10

// Authentication context class references (OpenID Connect Core §2, the
// acr claim) the provider publishes in acr_values_supported and ID
// tokens. ACRPassword is a single factor (a password); ACRMFA is two
// factors of different kinds (a password and a TOTP code or passkey, or a
// passkey verified by PIN or biometric). A client that asks for ACRMFA in
// acr_values or an essential acr claim makes a member who has a second
// factor pass it.
const (
	ACRPassword = "urn:idp:acr:pwd"
	ACRMFA      = "urn:idp:acr:mfa"
)

// SecondFactor reports whether amr includes a possession factor: a TOTP
// code (or recovery code) or a passkey.
func SecondFactor(amr []string) bool {
	for _, m := range amr {
		if m == AMROTP || m == AMRHardwareKey || m == AMRSoftwareKey {
			return true
		}
	}
	return false
}

// MultiFactor reports whether amr holds two factors of different kinds:
// a possession factor with a password, or a passkey with user
// verification.
func MultiFactor(amr []string) bool {
	has := func(v string) bool {
		for _, m := range amr {
			if m == v {
				return true
			}
		}
		return false
	}
	key := has(AMRHardwareKey) || has(AMRSoftwareKey)
	return (SecondFactor(amr) && has(AMRPassword)) || (key && has(AMRUser))
}

// ACRFor is the acr of a sign-in with the methods amr, or "" for none.
func ACRFor(amr []string) string {
	switch {
	case len(amr) == 0:
		return ""
	case MultiFactor(amr):
		return ACRMFA
	}
	return ACRPassword
}
