package keys_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/idp/idp/keys"
)

var testSecret = []byte(strings.Repeat("s", keys.MinSecretLength))

// TestBox: a sealed value opens only with the same secret, purpose and
// additional data, and only unchanged.
func TestBox(t *testing.T) {
	box := keys.NewBox(testSecret, keys.PurposeLogout)
	sealed := box.Seal([]byte("plain text"), []byte("here"))
	if got, err := box.Open(sealed, []byte("here")); err != nil || string(got) != "plain text" {
		t.Fatalf("Open = %q, %v; want the plaintext", got, err)
	}
	if again := box.Seal([]byte("plain text"), []byte("here")); string(again) == string(sealed) {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
	changed := append([]byte(nil), sealed...)
	changed[len(changed)/2] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"other aad": func() ([]byte, error) { return box.Open(sealed, []byte("there")) },
		"other purpose": func() ([]byte, error) {
			return keys.NewBox(testSecret, keys.PurposeSuccessor).Open(sealed, []byte("here"))
		},
		"other secret": func() ([]byte, error) {
			return keys.NewBox([]byte(strings.Repeat("o", 32)), keys.PurposeLogout).Open(sealed, []byte("here"))
		},
		"changed":   func() ([]byte, error) { return box.Open(changed, []byte("here")) },
		"truncated": func() ([]byte, error) { return box.Open(sealed[:5], []byte("here")) },
		"not text":  func() ([]byte, error) { return box.OpenText("not base64!", []byte("here")) },
	} {
		if got, err := open(); !errors.Is(err, keys.ErrNotOpen) || got != nil {
			t.Errorf("%s: Open = %q, %v; want ErrNotOpen", name, got, err)
		}
	}
	text := box.SealText([]byte("in a form"), nil)
	if got, err := box.OpenText(text, nil); err != nil || string(got) != "in a form" {
		t.Errorf("OpenText = %q, %v", got, err)
	}
}

// FuzzBoxOpen: sealed values come back from browsers and databases; Open
// never panics and opens nothing it did not seal.
func FuzzBoxOpen(f *testing.F) {
	box := keys.NewBox(testSecret, keys.PurposeLogout)
	f.Add(box.SealText([]byte("x"), nil))
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, text string) {
		if got, err := box.OpenText(text, nil); err == nil && string(got) != "x" {
			t.Fatalf("opened %q, which was never sealed", got)
		}
	})
}
