package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testFactors: a TOTP enrolment stays pending until confirmed, a
// confirmed one is never replaced, each time step is accepted once and
// only after the last one; recovery codes are single-use and replaced as
// a set; DeleteAll and removing the member take everything.
func testFactors(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "factors@example.org")
	_, err := s.Factors.TOTP(ctx, m.ID)
	wantErr(t, err, idp.ErrNotFound)
	wantErr(t, s.Factors.UseTOTPStep(ctx, m.ID, 5), idp.ErrConflict) // none yet

	must(t, s.Factors.StartTOTP(ctx, idp.TOTP{MemberID: m.ID, Sealed: []byte("one"), CreatedAt: base}))
	got, err := s.Factors.TOTP(ctx, m.ID)
	must(t, err)
	if got.Confirmed || string(got.Sealed) != "one" || got.LastStep != 0 || !got.CreatedAt.Equal(norm(base)) {
		t.Fatalf("pending TOTP = %+v", got)
	}
	wantErr(t, s.Factors.UseTOTPStep(ctx, m.ID, 5), idp.ErrConflict) // pending is no factor
	must(t, s.Factors.StartTOTP(ctx, idp.TOTP{MemberID: m.ID, Sealed: []byte("two"), CreatedAt: base}))
	must(t, s.Factors.ConfirmTOTP(ctx, m.ID, 100))
	wantErr(t, s.Factors.ConfirmTOTP(ctx, m.ID, 101), idp.ErrNotFound)
	wantErr(t, s.Factors.StartTOTP(ctx, idp.TOTP{MemberID: m.ID, Sealed: []byte("three"), CreatedAt: base}), idp.ErrConflict)
	got, err = s.Factors.TOTP(ctx, m.ID)
	must(t, err)
	if !got.Confirmed || string(got.Sealed) != "two" || got.LastStep != 100 {
		t.Fatalf("confirmed TOTP = %+v, want secret two at step 100", got)
	}
	wantErr(t, s.Factors.UseTOTPStep(ctx, m.ID, 100), idp.ErrConflict) // the confirming code
	wantErr(t, s.Factors.UseTOTPStep(ctx, m.ID, 99), idp.ErrConflict)
	must(t, s.Factors.UseTOTPStep(ctx, m.ID, 101))
	wantErr(t, s.Factors.UseTOTPStep(ctx, m.ID, 101), idp.ErrConflict)

	must(t, s.Factors.SetRecoveryCodes(ctx, m.ID, []string{"h1", "h2", "h3"}))
	must(t, s.Factors.UseRecoveryCode(ctx, m.ID, "h2"))
	wantErr(t, s.Factors.UseRecoveryCode(ctx, m.ID, "h2"), idp.ErrNotFound)
	other := mustMember(t, s, "other-factors@example.org")
	wantErr(t, s.Factors.UseRecoveryCode(ctx, other.ID, "h1"), idp.ErrNotFound) // codes are per member
	if n, err := s.Factors.RecoveryCodesLeft(ctx, m.ID); err != nil || n != 2 {
		t.Fatalf("RecoveryCodesLeft = %d, %v; want 2", n, err)
	}
	must(t, s.Factors.SetRecoveryCodes(ctx, m.ID, []string{"h4"}))
	wantErr(t, s.Factors.UseRecoveryCode(ctx, m.ID, "h1"), idp.ErrNotFound) // replaced
	if n, _ := s.Factors.RecoveryCodesLeft(ctx, m.ID); n != 1 {
		t.Fatalf("RecoveryCodesLeft after replacing = %d, want 1", n)
	}

	had, err := s.Factors.DeleteAll(ctx, m.ID)
	must(t, err)
	if !had {
		t.Error("DeleteAll reported nothing deleted")
	}
	_, err = s.Factors.TOTP(ctx, m.ID)
	wantErr(t, err, idp.ErrNotFound)
	wantErr(t, s.Factors.DeleteTOTP(ctx, m.ID), idp.ErrNotFound)
	if had, err := s.Factors.DeleteAll(ctx, m.ID); err != nil || had {
		t.Errorf("second DeleteAll = %v, %v; want false, nil", had, err)
	}

	must(t, s.Factors.StartTOTP(ctx, idp.TOTP{MemberID: other.ID, Sealed: []byte("x")}))
	must(t, s.Factors.SetRecoveryCodes(ctx, other.ID, []string{"y"}))
	must(t, s.Members.Delete(ctx, other.ID))
	_, err = s.Factors.TOTP(ctx, other.ID)
	wantErr(t, err, idp.ErrNotFound)
	if n, _ := s.Factors.RecoveryCodesLeft(ctx, other.ID); n != 0 {
		t.Errorf("recovery codes of a removed member: %d", n)
	}
}

// testFactorsUseConcurrent: of concurrent uses of one recovery code, or of
// one TOTP step, exactly one succeeds.
func testFactorsUseConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "race-factors@example.org")
	must(t, s.Factors.StartTOTP(ctx, idp.TOTP{MemberID: m.ID, Sealed: []byte("s")}))
	must(t, s.Factors.ConfirmTOTP(ctx, m.ID, 1))
	must(t, s.Factors.SetRecoveryCodes(ctx, m.ID, []string{"code"}))
	for name, use := range map[string]func() error{
		"recovery code": func() error { return s.Factors.UseRecoveryCode(ctx, m.ID, "code") },
		"totp step":     func() error { return s.Factors.UseTOTPStep(ctx, m.ID, 2) },
	} {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				err := use()
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, idp.ErrNotFound) && !errors.Is(err, idp.ErrConflict):
					t.Error(fmt.Errorf("%s: %w", name, err))
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d concurrent uses of one %s succeeded, want 1", wins.Load(), name)
		}
	}
}
