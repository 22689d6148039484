package oauth

import (
	"crypto/rand"
	"strings"
)

// userCodeAlphabet is RFC 8628 §6.1's base-20 alphabet: consonants only,
// so no word is spelled and no letter is mistaken for a digit.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// userCodeLength is 8 characters: 20^8 ≈ 2^34.6 codes, which with the
// per-address throttle on /device and the codes' short life leaves an
// attacker a negligible chance (RFC 8628 §5.1).
const userCodeLength = 8

// maxUserCodeInput bounds what NormalizeUserCode looks at: a real entry is
// nine characters, a few more with spaces.
const maxUserCodeInput = 64

// newUserCode draws a user code, unbiased (crypto/rand.Text's method:
// rejection of bytes beyond the largest multiple of 20).
func newUserCode() string {
	var out [userCodeLength]byte
	var buf [1]byte
	for i := 0; i < len(out); {
		_, _ = rand.Read(buf[:]) // never fails (crypto/rand)
		if buf[0] >= 240 {
			continue
		}
		out[i] = userCodeAlphabet[buf[0]%20]
		i++
	}
	return string(out[:])
}

// FormatUserCode shows a normalised code as XXXX-XXXX, easier to read off
// a screen and type (RFC 8628 §6.1).
func FormatUserCode(code string) string {
	if len(code) != userCodeLength {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// NormalizeUserCode turns what a member typed into the stored form: upper
// case, dashes and spaces dropped. ok is false when the result cannot be a
// code (wrong length or a character outside the alphabet), so the store
// is never asked about it.
func NormalizeUserCode(typed string) (code string, ok bool) {
	if len(typed) > maxUserCodeInput {
		return "", false
	}
	var b strings.Builder
	for _, r := range typed {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		if r > 'Z' || !strings.ContainsRune(userCodeAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != userCodeLength {
		return "", false
	}
	return b.String(), true
}
