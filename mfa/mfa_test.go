package mfa

import (
	"errors"
	"testing"
	"time"

	"github.com/idp/idp"
)

const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// TestMatchStep: the codes of the previous, current and next step are
// accepted (±1 step of skew), those two steps away are not, nor any step
// not later than the last one used.
func TestMatchStep(t *testing.T) {
	now := time.Unix(1_800_000_015, 0)
	cur := now.Unix() / period
	for _, tt := range []struct {
		offset int64
		last   int64
		ok     bool
	}{
		{-2, -1, false}, {-1, -1, true}, {0, -1, true}, {1, -1, true}, {2, -1, false},
		{0, cur, false}, {1, cur, true}, {-1, cur - 1, false}, {0, cur - 1, true},
	} {
		code, err := Code(secret, time.Unix((cur+tt.offset)*period, 0))
		if err != nil {
			t.Fatal(err)
		}
		last := tt.last
		step, ok := matchStep(secret, code, now, last)
		if ok != tt.ok || (ok && step != cur+tt.offset) {
			t.Errorf("step %+d after last %d: got %d, %v; want ok=%v", tt.offset, last-cur, step-cur, ok, tt.ok)
		}
	}
	if _, ok := matchStep(secret, "12345", now, -1); ok {
		t.Error("a five-digit code matched")
	}
}

// TestNormalize: codes are read as typed (spaces, dashes, case) and
// over-long input is nobody's; secrets must be base32 of at least 80 bits.
func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"123 456": "123456", "ABCD-efgh-2345": "abcdefgh2345", "": ""} {
		if got := normalizeCode(in); got != want {
			t.Errorf("normalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := normalizeCode(string(make([]byte, maxCodeBytes+1))); got != "" {
		t.Errorf("over-long code normalised to %q", got)
	}
	if s, err := NormalizeSecret("jbsw y3dp ehpk 3pxp===="); err != nil || s != "JBSWY3DPEHPK3PXP" {
		t.Errorf("NormalizeSecret = %q, %v", s, err)
	}
	for _, bad := range []string{"JBSWY3DP", "not base32!", "0189"} {
		if _, err := NormalizeSecret(bad); !errors.Is(err, idp.ErrInvalid) {
			t.Errorf("NormalizeSecret(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
