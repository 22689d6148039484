package conformance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func token(kind storage.TokenKind, sig, requestID, clientID string) storage.Token {
	return storage.Token{
		Kind:        kind,
		Signature:   sig,
		RequestID:   requestID,
		ClientID:    clientID,
		Subject:     "member-1",
		RequestedAt: base,
		ExpiresAt:   base.Add(time.Hour),
		Active:      true,
		Request:     []byte(`{"id":"` + requestID + `"}`),
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func testTokens(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	// A JWT access token signature is ~342 characters; rows are keyed by
	// its hash.
	sig := strings.Repeat("jwt-signature-", 30)
	tok := token(storage.KindRefresh, sig, "req-1", "app")
	tok.SessionID = "sid-1"
	tok.AccessSignature = "access-sig"
	tok.Request = []byte{0, '{', 0xff, 0xfe, '\n', 0} // byte for byte, even when not text
	must(t, s.Tokens.Create(ctx, tok))

	got, err := s.Tokens.Get(ctx, storage.KindRefresh, sig)
	must(t, err)
	want := tok
	want.Signature, want.AccessSignature = sha(sig), sha("access-sig")
	want.RequestedAt, want.ExpiresAt = norm(tok.RequestedAt), norm(tok.ExpiresAt)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get =\n%+v\nwant\n%+v", got, want)
	}

	wantErr(t, s.Tokens.Create(ctx, tok), idp.ErrConflict)
	// The same signature under another kind is another row.
	other := token(storage.KindOIDC, sig, "req-1", "app")
	other.Request = nil
	must(t, s.Tokens.Create(ctx, other))
	got, err = s.Tokens.Get(ctx, storage.KindOIDC, sig)
	must(t, err)
	if got.Kind != storage.KindOIDC || got.AccessSignature != "" || got.Request != nil {
		t.Errorf("Get(oidc) = %+v, want kind oidc, no access signature, nil request", got)
	}
	_, err = s.Tokens.Get(ctx, storage.KindAccess, sig)
	wantErr(t, err, idp.ErrNotFound)

	wantErr(t, s.Tokens.Create(ctx, token(storage.KindAccess, "x", "req-2", "missing")), idp.ErrNotFound)

	must(t, s.Tokens.Delete(ctx, storage.KindRefresh, sig))
	wantErr(t, s.Tokens.Delete(ctx, storage.KindRefresh, sig), idp.ErrNotFound)
	_, err = s.Tokens.Get(ctx, storage.KindRefresh, sig)
	wantErr(t, err, idp.ErrNotFound)
	if _, err := s.Tokens.Get(ctx, storage.KindOIDC, sig); err != nil {
		t.Errorf("Delete removed another kind's row: %v", err)
	}
}

func testTokensDeactivate(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	must(t, s.Tokens.Create(ctx, token(storage.KindCode, "code", "req", "app")))
	must(t, s.Tokens.Deactivate(ctx, storage.KindCode, "code"))
	got, err := s.Tokens.Get(ctx, storage.KindCode, "code")
	must(t, err)
	if got.Active {
		t.Error("token still active after Deactivate")
	}
	wantErr(t, s.Tokens.Deactivate(ctx, storage.KindCode, "code"), idp.ErrConflict)
	wantErr(t, s.Tokens.Deactivate(ctx, storage.KindCode, "missing"), idp.ErrNotFound)
	wantErr(t, s.Tokens.Deactivate(ctx, storage.KindRefresh, "code"), idp.ErrNotFound)
}

// testTokensSuccessor: only an inactive token takes a successor, which
// comes back byte for byte and is replaced by a later one.
func testTokensSuccessor(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	must(t, s.Tokens.Create(ctx, token(storage.KindRefresh, "rt", "req", "app")))
	wantErr(t, s.Tokens.SetSuccessor(ctx, storage.KindRefresh, "rt", []byte("x")), idp.ErrNotFound)
	got, err := s.Tokens.Get(ctx, storage.KindRefresh, "rt")
	must(t, err)
	if got.Successor != nil {
		t.Errorf("active token has successor %q, want nil", got.Successor)
	}
	must(t, s.Tokens.Deactivate(ctx, storage.KindRefresh, "rt"))
	for _, want := range [][]byte{{0, 0xff, '{', 0}, []byte("second")} {
		must(t, s.Tokens.SetSuccessor(ctx, storage.KindRefresh, "rt", want))
		got, err = s.Tokens.Get(ctx, storage.KindRefresh, "rt")
		must(t, err)
		if string(got.Successor) != string(want) {
			t.Errorf("Successor = %q, want %q", got.Successor, want)
		}
	}
	wantErr(t, s.Tokens.SetSuccessor(ctx, storage.KindRefresh, "missing", []byte("x")), idp.ErrNotFound)
	wantErr(t, s.Tokens.SetSuccessor(ctx, storage.KindCode, "rt", []byte("x")), idp.ErrNotFound)
}

// testTokensDeactivateConcurrent is the race fosite leaves to the store
// (two exchanges of one code, two rotations of one refresh token): exactly
// one caller may win.
func testTokensDeactivateConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	for _, kind := range []storage.TokenKind{storage.KindCode, storage.KindRefresh} {
		must(t, s.Tokens.Create(ctx, token(kind, "contested", "req", "app")))
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// Inside a transaction, as fosite runs it.
				errs[i] = s.InTx(ctx, func(ctx context.Context) error {
					return s.Tokens.Deactivate(ctx, kind, "contested")
				})
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, idp.ErrConflict):
				t.Errorf("%s: loser's error = %v, want one wrapping ErrConflict", kind, err)
			}
		}
		if wins != 1 {
			t.Errorf("%s: %d of %d concurrent Deactivate calls succeeded, want exactly 1", kind, wins, n)
		}
	}
}

func testTokensDeleteBy(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	rows := []struct {
		kind             storage.TokenKind
		sig, req, sessID string
	}{
		{storage.KindAccess, "a1", "r1", "s1"},
		{storage.KindAccess, "a2", "r1", "s1"},
		{storage.KindRefresh, "f1", "r1", "s1"},
		{storage.KindAccess, "a3", "r2", "s2"},
		{storage.KindAccess, "cc1", "r3", ""}, // client credentials
		{storage.KindAccess, "cc2", "r4", ""},
	}
	for _, r := range rows {
		tok := token(r.kind, r.sig, r.req, "app")
		tok.SessionID = r.sessID
		must(t, s.Tokens.Create(ctx, tok))
	}
	count := func(kind storage.TokenKind, f func(storage.TokenKind, string) (int64, error), key string, want int64) {
		t.Helper()
		n, err := f(kind, key)
		must(t, err)
		if n != want {
			t.Errorf("delete %s by %q removed %d, want %d", kind, key, n, want)
		}
	}
	byReq := func(k storage.TokenKind, id string) (int64, error) { return s.Tokens.DeleteByRequest(ctx, k, id) }
	bySess := func(k storage.TokenKind, id string) (int64, error) { return s.Tokens.DeleteBySession(ctx, k, id) }

	count(storage.KindAccess, byReq, "r1", 2)
	count(storage.KindAccess, byReq, "r1", 0)
	if _, err := s.Tokens.Get(ctx, storage.KindRefresh, "f1"); err != nil {
		t.Errorf("DeleteByRequest(access) removed the refresh token: %v", err)
	}
	count(storage.KindAccess, bySess, "", 0) // never sweeps client-credentials tokens
	count(storage.KindAccess, bySess, "s2", 1)
	count(storage.KindRefresh, bySess, "s1", 1)
	for _, sig := range []string{"cc1", "cc2"} {
		if _, err := s.Tokens.Get(ctx, storage.KindAccess, sig); err != nil {
			t.Errorf("token %s: %v", sig, err)
		}
	}
}

// testTokensDeleteByClientSubject: revoking one app of one member leaves
// that member's tokens of other apps and other members' tokens of the app.
func testTokensDeleteByClientSubject(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	mustClient(t, s, "other")
	rows := []struct {
		kind                 storage.TokenKind
		sig, client, subject string
	}{
		{storage.KindRefresh, "f1", "app", "m1"},
		{storage.KindRefresh, "f2", "app", "m1"},
		{storage.KindAccess, "a1", "app", "m1"},
		{storage.KindRefresh, "f3", "other", "m1"},
		{storage.KindRefresh, "f4", "app", "m2"},
		{storage.KindAccess, "cc", "app", ""}, // client credentials: no subject
	}
	for _, r := range rows {
		tok := token(r.kind, r.sig, "r-"+r.sig, r.client)
		tok.Subject = r.subject
		must(t, s.Tokens.Create(ctx, tok))
	}
	for _, c := range []struct {
		kind            storage.TokenKind
		client, subject string
		want            int64
	}{
		{storage.KindRefresh, "app", "m1", 2},
		{storage.KindRefresh, "app", "m1", 0},
		{storage.KindAccess, "app", "m1", 1},
		{storage.KindAccess, "app", "", 0},
		{storage.KindRefresh, "", "m1", 0},
	} {
		n, err := s.Tokens.DeleteByClientSubject(ctx, c.kind, c.client, c.subject)
		must(t, err)
		if n != c.want {
			t.Errorf("DeleteByClientSubject(%s, %q, %q) removed %d, want %d", c.kind, c.client, c.subject, n, c.want)
		}
	}
	for _, r := range rows[3:] {
		if _, err := s.Tokens.Get(ctx, r.kind, r.sig); err != nil {
			t.Errorf("token %s of %s for %q was removed: %v", r.sig, r.client, r.subject, err)
		}
	}
}

func testTokensDeleteExpired(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	now := base.Add(time.Hour)
	expiries := map[string]time.Time{
		"past":    now.Add(-time.Second),
		"now":     now,
		"future":  now.Add(time.Microsecond),
		"later":   now.Add(time.Hour),
		"oidcold": now.Add(-time.Hour),
	}
	for sig, exp := range expiries {
		kind := storage.KindAccess
		if sig == "oidcold" {
			kind = storage.KindOIDC
		}
		tok := token(kind, sig, "r-"+sig, "app")
		tok.ExpiresAt = exp
		tok.Active = sig != "past" // inactive rows expire too
		must(t, s.Tokens.Create(ctx, tok))
	}
	n, err := s.Tokens.DeleteExpired(ctx, now)
	must(t, err)
	if n != 3 {
		t.Errorf("DeleteExpired removed %d, want 3 (past, now, oidcold)", n)
	}
	for _, sig := range []string{"future", "later"} {
		if _, err := s.Tokens.Get(ctx, storage.KindAccess, sig); err != nil {
			t.Errorf("unexpired token %s: %v", sig, err)
		}
	}
	_, err = s.Tokens.Get(ctx, storage.KindAccess, "now")
	wantErr(t, err, idp.ErrNotFound)
}

func testTokenErrorsHideSignatures(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	sig := "secret-signature-value"
	must(t, s.Tokens.Create(ctx, token(storage.KindAccess, sig, "r", "app")))
	must(t, s.Tokens.Deactivate(ctx, storage.KindAccess, sig))
	errs := []error{
		s.Tokens.Create(ctx, token(storage.KindAccess, sig, "r", "app")),
		s.Tokens.Deactivate(ctx, storage.KindAccess, sig),
		s.Tokens.Delete(ctx, storage.KindCode, sig),
	}
	_, err := s.Tokens.Get(ctx, storage.KindCode, sig)
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d: no error", i)
		}
		if msg := err.Error(); strings.Contains(msg, sig) || strings.Contains(msg, sha(sig)) {
			t.Errorf("call %d: error reveals the signature: %s", i, msg)
		}
	}
}

// testTokensCreateConcurrent: tokens created at the same time (which a
// store may write together), durable and volatile alike, each get their own
// outcome: the good rows are
// all stored and round-trip, a duplicate gets ErrConflict and a row for an
// unknown client ErrNotFound, and neither spoils the rows beside it.
func testTokensCreateConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	must(t, s.Tokens.Create(ctx, token(storage.KindAccess, "taken", "req-0", "app")))
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := token(storage.KindAccess, fmt.Sprintf("sig-%d", i), fmt.Sprintf("req-%d", i), "app")
			tok.Volatile = i%2 == 1 // both write paths, side by side
			switch i {
			case 10, 11:
				tok.Signature = "taken"
			case 20, 21:
				tok.ClientID = "nobody"
			}
			<-start
			errs[i] = s.Tokens.Create(ctx, tok)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		switch i {
		case 10, 11:
			wantErr(t, err, idp.ErrConflict)
		case 20, 21:
			wantErr(t, err, idp.ErrNotFound)
		default:
			if err != nil {
				t.Errorf("row %d: %v", i, err)
				continue
			}
			got, err := s.Tokens.Get(ctx, storage.KindAccess, fmt.Sprintf("sig-%d", i))
			if err != nil || got.RequestID != fmt.Sprintf("req-%d", i) || string(got.Request) != fmt.Sprintf(`{"id":"req-%d"}`, i) {
				t.Errorf("row %d: got %+v, %v", i, got, err)
			}
		}
	}
	if got, err := s.Tokens.Get(ctx, storage.KindAccess, "taken"); err != nil || got.RequestID != "req-0" {
		t.Errorf("the duplicate overwrote the first row: %+v, %v", got, err)
	}
}
