package conformance

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testMailTokens: a mailed link is found by its hash and kind only while
// it lives, is used once, replaces the member's earlier link of its kind,
// and goes with its member.
func testMailTokens(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "mt@example.com")
	tok := func(hash string, kind idp.MailTokenKind, ttl time.Duration) idp.MailToken {
		return idp.MailToken{Hash: hash, Kind: kind, MemberID: m.ID, Email: m.Email, CreatedAt: base, ExpiresAt: base.Add(ttl)}
	}
	must(t, s.MailTokens.Create(ctx, tok("r1", idp.MailTokenReset, 30*time.Minute)))
	must(t, s.MailTokens.Create(ctx, tok("v1", idp.MailTokenVerify, 30*time.Minute)))

	got, err := s.MailTokens.Get(ctx, "r1", idp.MailTokenReset, base)
	must(t, err)
	if got.MemberID != m.ID || got.Email != m.Email || got.Kind != idp.MailTokenReset || !got.ExpiresAt.Equal(norm(base.Add(30*time.Minute))) {
		t.Errorf("Get = %+v", got)
	}
	// Another kind, an unknown hash, an expired token: not found.
	_, err = s.MailTokens.Get(ctx, "r1", idp.MailTokenVerify, base)
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.MailTokens.Use(ctx, "r1", idp.MailTokenInvite, base)
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.MailTokens.Use(ctx, "nope", idp.MailTokenReset, base)
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.MailTokens.Use(ctx, "r1", idp.MailTokenReset, base.Add(30*time.Minute))
	wantErr(t, err, idp.ErrNotFound)

	// A newer link of a kind replaces the older; other kinds stay.
	must(t, s.MailTokens.Create(ctx, tok("r2", idp.MailTokenReset, 30*time.Minute)))
	_, err = s.MailTokens.Get(ctx, "r1", idp.MailTokenReset, base)
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.MailTokens.Get(ctx, "v1", idp.MailTokenVerify, base)
	must(t, err)

	// Used once.
	used, err := s.MailTokens.Use(ctx, "r2", idp.MailTokenReset, base.Add(time.Minute))
	must(t, err)
	if used.MemberID != m.ID {
		t.Errorf("Use = %+v", used)
	}
	_, err = s.MailTokens.Use(ctx, "r2", idp.MailTokenReset, base.Add(time.Minute))
	wantErr(t, err, idp.ErrNotFound)

	// A use rolled back with its transaction leaves the link usable.
	fail := errors.New("later step failed")
	err = s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.MailTokens.Use(ctx, "v1", idp.MailTokenVerify, base); err != nil {
			return err
		}
		return fail
	})
	wantErr(t, err, fail)
	_, err = s.MailTokens.Get(ctx, "v1", idp.MailTokenVerify, base)
	must(t, err)

	// An unknown member is refused.
	bad := tok("x", idp.MailTokenInvite, time.Minute)
	bad.MemberID = "no-such-member"
	if err := s.MailTokens.Create(ctx, bad); err == nil {
		t.Error("Create for an unknown member succeeded")
	}

	must(t, s.MailTokens.Create(ctx, tok("i1", idp.MailTokenInvite, time.Minute)))
	n, err := s.MailTokens.DeleteExpired(ctx, base.Add(time.Minute))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpired removed %d, want 1 (i1)", n)
	}
	must(t, s.MailTokens.DeleteMember(ctx, m.ID, idp.MailTokenVerify))
	_, err = s.MailTokens.Get(ctx, "v1", idp.MailTokenVerify, base)
	wantErr(t, err, idp.ErrNotFound)

	must(t, s.MailTokens.Create(ctx, tok("r3", idp.MailTokenReset, time.Hour)))
	must(t, s.Members.Delete(ctx, m.ID))
	_, err = s.MailTokens.Get(ctx, "r3", idp.MailTokenReset, base)
	wantErr(t, err, idp.ErrNotFound)
}

// testMailTokenUseConcurrent: of concurrent uses of one link, exactly one
// wins.
func testMailTokenUseConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "race@example.com")
	must(t, s.MailTokens.Create(ctx, idp.MailToken{Hash: "race", Kind: idp.MailTokenReset, MemberID: m.ID,
		Email: m.Email, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := s.MailTokens.Use(ctx, "race", idp.MailTokenReset, base)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, idp.ErrNotFound) && !errors.Is(err, idp.ErrConflict):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d uses of one link succeeded, want 1", wins.Load())
	}
}
