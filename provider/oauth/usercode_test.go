package oauth

import (
	"strings"
	"testing"
)

func TestNormalizeUserCode(t *testing.T) {
	for _, tc := range []struct {
		typed, want string
		ok          bool
	}{
		{"BCDF-GHJK", "BCDFGHJK", true},
		{"bcdf-ghjk", "BCDFGHJK", true},
		{"bcdfghjk", "BCDFGHJK", true},
		{" bcdf ghjk ", "BCDFGHJK", true},
		{"BCDF-GHJ", "", false},       // short
		{"BCDF-GHJKL", "", false},     // long
		{"ABCD-GHJK", "", false},      // a vowel is outside the alphabet
		{"BCD1-GHJK", "", false},      // a digit too
		{"BCDF-GHJ\u212A", "", false}, // Kelvin sign, not K
		{"", "", false},
		{strings.Repeat("-", 100) + "BCDFGHJK", "", false}, // over the input bound
	} {
		got, ok := NormalizeUserCode(tc.typed)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeUserCode(%q) = %q, %v; want %q, %v", tc.typed, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNewUserCode(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := newUserCode()
		got, ok := NormalizeUserCode(FormatUserCode(c))
		if !ok || got != c {
			t.Fatalf("code %q does not survive FormatUserCode and NormalizeUserCode: %q %v", c, got, ok)
		}
		seen[c] = true
	}
	if len(seen) < 999 {
		t.Errorf("%d distinct codes in 1000 draws", len(seen))
	}
}

// FuzzNormalizeUserCode: whatever is typed, a code that comes out is 8
// characters of the alphabet, normalising it again changes nothing, and
// its displayed and lower-case forms normalise back to it.
func FuzzNormalizeUserCode(f *testing.F) {
	for _, s := range []string{"BCDF-GHJK", "bcdfghjk", "  x ", "BCDF–GHJK", "ſ", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		code, ok := NormalizeUserCode(typed)
		if !ok {
			if code != "" {
				t.Fatalf("refused input %q gave %q", typed, code)
			}
			return
		}
		if len(code) != userCodeLength || strings.Trim(code, userCodeAlphabet) != "" {
			t.Fatalf("%q normalised to %q, not a code", typed, code)
		}
		for _, again := range []string{code, FormatUserCode(code), strings.ToLower(code)} {
			if got, ok := NormalizeUserCode(again); !ok || got != code {
				t.Fatalf("%q → %q, but %q → %q, %v", typed, code, again, got, ok)
			}
		}
	})
}
