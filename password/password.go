// Package password hashes and verifies member passwords and client secrets
// with Argon2id (RFC 9106), stored as PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// The salt and key are unpadded standard base64, as the PHC string format
// specifies. The parameters follow the OWASP Password Storage Cheat Sheet
// (m=19 MiB, t=2, p=1). They are stored with every hash, so raising them
// later does not break hashes already stored.
//
// Check holds the length rule for passwords members choose.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters of new hashes.
const (
	memoryKiB = 19456
	passes    = 2
	lanes     = 1
	saltLen   = 16
	keyLen    = 32
)

// Bounds on the parameters Verify accepts. A stored hash is trusted data,
// but a corrupted or forged row must not make one sign-in allocate gigabytes
// or spin for minutes.
const (
	maxMemoryKiB = 256 * 1024
	maxPasses    = 16
	maxLanes     = 16
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 64
)

// ErrMalformedHash means a stored hash is not an Argon2id PHC string this
// package can verify. Its messages never include the hash itself.
var ErrMalformedHash = errors.New("malformed password hash")

var b64 = base64.RawStdEncoding.Strict()

// params is a parsed PHC string.
type params struct {
	memory uint32
	passes uint32
	lanes  uint8
	salt   []byte
	key    []byte
}

func (p params) derive(pw string) []byte {
	return argon2.IDKey([]byte(pw), p.salt, p.passes, p.memory, p.lanes, uint32(len(p.key)))
}

func (p params) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.passes, p.lanes, b64.EncodeToString(p.salt), b64.EncodeToString(p.key))
}

// Hash returns the Argon2id PHC string of pw with a fresh random salt. It
// fails only when the system's random source does.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: hash: read salt: %w", err)
	}
	p := params{memory: memoryKiB, passes: passes, lanes: lanes, salt: salt, key: make([]byte, keyLen)}
	p.key = p.derive(pw)
	return p.String(), nil
}

// Verify reports whether pw matches hash, comparing in constant time. The
// error is non-nil (wrapping ErrMalformedHash) only when hash cannot be
// parsed; a wrong password is (false, nil).
func Verify(hash, pw string) (bool, error) {
	p, err := parse(hash)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(p.derive(pw), p.key) == 1, nil
}

// dummy is what VerifyDummy derives against: the parameters of a new hash.
var dummy = params{
	memory: memoryKiB, passes: passes, lanes: lanes,
	salt: make([]byte, saltLen), key: make([]byte, keyLen),
}

// VerifyDummy costs what Verify of a hash made by Hash costs, and always
// fails. Call it when the account does not exist, so the response time does
// not tell an attacker which usernames are registered.
func VerifyDummy(pw string) {
	subtle.ConstantTimeCompare(dummy.derive(pw), dummy.key)
}

// parse reads a PHC string strictly: exactly the fields Hash writes, in the
// same order, with parameters inside the accepted bounds.
func parse(hash string) (params, error) {
	fields := strings.Split(hash, "$")
	if len(fields) != 6 || fields[0] != "" || fields[1] != "argon2id" {
		return params{}, fmt.Errorf("%w: want $argon2id$v=..$m=..,t=..,p=..$salt$key", ErrMalformedHash)
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return params{}, fmt.Errorf("%w: unsupported version, want v=%d", ErrMalformedHash, argon2.Version)
	}
	var p params
	var err error
	kv := strings.Split(fields[3], ",")
	if len(kv) != 3 {
		return params{}, fmt.Errorf("%w: want parameters m=..,t=..,p=..", ErrMalformedHash)
	}
	var m, t, l uint64
	if m, err = param(kv[0], "m", maxMemoryKiB); err != nil {
		return params{}, err
	}
	if t, err = param(kv[1], "t", maxPasses); err != nil {
		return params{}, err
	}
	if l, err = param(kv[2], "p", maxLanes); err != nil {
		return params{}, err
	}
	if m < 8*l {
		return params{}, fmt.Errorf("%w: m must be at least 8*p", ErrMalformedHash)
	}
	p.memory, p.passes, p.lanes = uint32(m), uint32(t), uint8(l)
	if p.salt, err = decode(fields[4], "salt", minSaltLen, maxSaltLen); err != nil {
		return params{}, err
	}
	if p.key, err = decode(fields[5], "key", minKeyLen, maxKeyLen); err != nil {
		return params{}, err
	}
	return p, nil
}

// param parses "name=N" with 1 <= N <= max, decimal without sign or leading
// zeros, so each hash has exactly one spelling.
func param(s, name string, max uint64) (uint64, error) {
	v, ok := strings.CutPrefix(s, name+"=")
	if !ok || v == "" || v[0] == '0' {
		return 0, fmt.Errorf("%w: want parameter %s=N", ErrMalformedHash, name)
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n > max {
		return 0, fmt.Errorf("%w: parameter %s must be between 1 and %d", ErrMalformedHash, name, max)
	}
	return n, nil
}

func decode(s, name string, min, max int) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not unpadded base64", ErrMalformedHash, name)
	}
	if len(b) < min || len(b) > max {
		return nil, fmt.Errorf("%w: %s must be %d to %d bytes", ErrMalformedHash, name, min, max)
	}
	return b, nil
}
