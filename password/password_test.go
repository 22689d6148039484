package password

import (
	"errors"
	"strings"
	"testing"

	"github.com/idp/idp"
)

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := Hash(pw)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return h
}

func TestHashFormat(t *testing.T) {
	h := mustHash(t, "correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("Hash = %q, want the argon2id PHC prefix with OWASP parameters", h)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("hash contains the password")
	}
	if h2 := mustHash(t, "correct horse"); h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerify(t *testing.T) {
	h := mustHash(t, "correct horse")
	for _, tc := range []struct {
		pw   string
		want bool
	}{
		{"correct horse", true},
		{"correct horsE", false},
		{"correct horse ", false},
		{"", false},
	} {
		got, err := Verify(h, tc.pw)
		if err != nil {
			t.Fatalf("Verify(%q): %v", tc.pw, err)
		}
		if got != tc.want {
			t.Errorf("Verify(%q) = %v, want %v", tc.pw, got, tc.want)
		}
	}
}

func TestVerifyEmptyPassword(t *testing.T) {
	h := mustHash(t, "")
	if ok, err := Verify(h, ""); err != nil || !ok {
		t.Fatalf("Verify of the empty password = %v, %v; want true", ok, err)
	}
}

// TestVerifyOtherParameters checks that the parameters are read from the
// hash, not assumed, so hashes made with older settings keep working.
func TestVerifyOtherParameters(t *testing.T) {
	p := params{memory: 64, passes: 1, lanes: 2, salt: []byte("0123456789abcdef"), key: make([]byte, 24)}
	p.key = p.derive("pw")
	ok, err := Verify(p.String(), "pw")
	if err != nil || !ok {
		t.Fatalf("Verify(%s) = %v, %v; want true", p, ok, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	good := mustHash(t, "pw")
	f := strings.Split(good, "$")
	salt, key := f[4], f[5]
	for name, h := range map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
		"argon2i":        "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"old version":    "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key,
		"missing key":    "$argon2id$v=19$m=19456,t=2,p=1$" + salt,
		"extra field":    good + "$",
		"params order":   "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key,
		"zero passes":    "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key,
		"leading zero":   "$argon2id$v=19$m=019456,t=2,p=1$" + salt + "$" + key,
		"huge memory":    "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key,
		"memory < 8p":    "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key,
		"negative":       "$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key,
		"padded salt":    "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key,
		"short salt":     "$argon2id$v=19$m=19456,t=2,p=1$AAAA$" + key,
		"short key":      "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$AAAA",
		"not base64 key": "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key[:len(key)-1] + "!",
	} {
		ok, err := Verify(h, "pw")
		if !errors.Is(err, ErrMalformedHash) || ok {
			t.Errorf("%s: Verify = %v, %v; want false, ErrMalformedHash", name, ok, err)
		}
		if err != nil && strings.Contains(err.Error(), salt) {
			t.Errorf("%s: error %q echoes the hash", name, err)
		}
	}
}

// TestVerifyDummyCost checks that an unknown user costs what a known one
// does, by construction rather than by the clock: the dummy derives with
// exactly the parameters (memory, passes, lanes, key length) that Hash
// writes, so the KDF work is the same.
func TestVerifyDummyCost(t *testing.T) {
	p, err := parse(mustHash(t, "pw"))
	if err != nil {
		t.Fatal(err)
	}
	if p.memory != dummy.memory || p.passes != dummy.passes || p.lanes != dummy.lanes || len(p.key) != len(dummy.key) {
		t.Fatalf("dummy parameters m=%d t=%d p=%d k=%d differ from a new hash's m=%d t=%d p=%d k=%d",
			dummy.memory, dummy.passes, dummy.lanes, len(dummy.key), p.memory, p.passes, p.lanes, len(p.key))
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAA", "pw")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$$", "")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Add("$$$$$", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		p, err := parse(hash)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("parse error %v does not wrap ErrMalformedHash", err)
			}
			return
		}
		// Keep the fuzzer fast: a successful parse of an expensive hash is
		// already the interesting outcome.
		if p.memory > 1024 || p.passes > 2 {
			return
		}
		if _, err := Verify(hash, pw); err != nil {
			t.Fatalf("Verify failed after parse succeeded: %v", err)
		}
	})
}

func TestCheck(t *testing.T) {
	for pw, ok := range map[string]bool{
		"":                             false,
		"1234567":                      false,
		"12345678":                     true,
		"pässwörd":                     true, // 8 characters in 10 bytes
		"pässwö":                       false,
		strings.Repeat("x", 1024):      true,
		strings.Repeat("x", 1025):      false,
		"correct horse battery staple": true,
	} {
		err := Check(pw)
		if (err == nil) != ok {
			t.Errorf("Check(%.12q) = %v; want ok=%v", pw, err, ok)
		}
		if err != nil && (!errors.Is(err, idp.ErrInvalid) || (pw != "" && strings.Contains(err.Error(), pw))) {
			t.Errorf("Check(%.12q) = %v; want idp.ErrInvalid without the password", pw, err)
		}
	}
}
