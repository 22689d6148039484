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
