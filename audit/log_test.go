package audit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// fixedNow is far from the wall clock, so a time taken from the wall clock
// instead of the injected one cannot pass for it.
var fixedNow = time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)

// syncBuffer is a log sink safe for the recording goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLog(t *testing.T, store *storage.Store) (*audit.Log, *syncBuffer, *[]idp.AuditEvent) {
	t.Helper()
	var out syncBuffer
	l := audit.New(store, slog.New(slog.NewTextHandler(&out, nil)), func() time.Time { return fixedNow })
	var seen []idp.AuditEvent
	l.Observe(func(e idp.AuditEvent) { seen = append(seen, e) })
	return l, &out, &seen
}

func list(t *testing.T, store *storage.Store) []idp.AuditEvent {
	t.Helper()
	events, _, err := store.Audit.List(context.Background(), storage.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// TestRecord: an event is stored with the injected clock's time, logged
// once with its type and ids, and observed.
func TestRecord(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		l, out, seen := newLog(t, store)
		err := l.Record(context.Background(), idp.AuditEvent{
			Type: idp.AuditTokenIssued, Actor: idp.ActorClient("app"), ClientID: "app", MemberID: "m1",
			Detail: map[string]any{"grant_type": "client_credentials"},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := list(t, store)
		if len(got) != 1 || got[0].Time != fixedNow || got[0].ID == "" || got[0].Detail["grant_type"] != "client_credentials" {
			t.Fatalf("stored %+v; want one event at %v with its detail", got, fixedNow)
		}
		if len(*seen) != 1 || (*seen)[0].ID != got[0].ID {
			t.Fatalf("observers saw %+v; want the stored event once", *seen)
		}
		line := out.String()
		for _, want := range []string{"event=token.issued", "client_id=app", "member_id=m1", "id=" + got[0].ID, "grant_type"} {
			if !strings.Contains(line, want) {
				t.Errorf("log %q lacks %q", line, want)
			}
		}
		if strings.Count(line, "msg=audit") != 1 {
			t.Errorf("log %q: want exactly one audit line", line)
		}
	})
}

// TestRecordFollowsTheTransaction: an event recorded in a transaction is
// neither logged nor observed before the commit, and never when the
// transaction rolls back; its row goes with the change.
func TestRecordFollowsTheTransaction(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		l, out, seen := newLog(t, store)
		ctx := context.Background()
		boom := errors.New("boom")
		err := store.InTx(ctx, func(ctx context.Context) error {
			if err := l.Record(ctx, idp.AuditEvent{Type: idp.AuditMemberDeleted, MemberID: "rolled"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		if n := len(list(t, store)); n != 0 || len(*seen) != 0 || strings.Contains(out.String(), "rolled") {
			t.Fatalf("after rollback: %d rows, observed %v, log %q; want nothing", n, *seen, out.String())
		}
		err = store.InTx(ctx, func(ctx context.Context) error {
			if err := l.Record(ctx, idp.AuditEvent{Type: idp.AuditMemberDeleted, MemberID: "kept"}); err != nil {
				return err
			}
			if len(*seen) != 0 || out.String() != "" {
				t.Errorf("before commit: observed %v, log %q; want nothing yet", *seen, out.String())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(list(t, store)); n != 1 || len(*seen) != 1 || !strings.Contains(out.String(), "member_id=kept") {
			t.Fatalf("after commit: %d rows, observed %v, log %q; want the event once everywhere", n, *seen, out.String())
		}
	})
}

// TestRecordDropsSecrets: a detail entry named like a secret, at any
// depth, reaches neither the store nor the log nor the observers.
func TestRecordDropsSecrets(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		l, out, seen := newLog(t, store)
		const leak = "hunter2-do-not-store"
		err := l.Record(context.Background(), idp.AuditEvent{Type: idp.AuditClientUpdated, Detail: map[string]any{
			"password": leak, "reason": "rotated",
			"after":  map[string]any{"client_secret": leak, "name": "App", "access_token": leak},
			"Secret": leak, "refresh_token": leak, "code": leak, "secret_hash": leak,
			audit.SecretsChanged: []string{"password"}, "nested": map[string]any{audit.SecretsChanged: leak},
		}})
		if err != nil {
			t.Fatal(err)
		}
		got := list(t, store)
		want := map[string]any{"reason": "rotated", "after": map[string]any{"name": "App"},
			audit.SecretsChanged: []any{"password"}, "nested": map[string]any{}}
		if len(got) != 1 || !reflect.DeepEqual(got[0].Detail, want) {
			t.Fatalf("stored detail %v; want %v", got[0].Detail, want)
		}
		if strings.Contains(out.String(), leak) || strings.Contains(out.String(), "password") {
			t.Fatalf("log %q carries a secret or its field", out.String())
		}
		if strings.Contains(fmtDetail((*seen)[0].Detail), leak) {
			t.Fatalf("observers saw %v", (*seen)[0].Detail)
		}
	})
}

func fmtDetail(d map[string]any) string {
	var b strings.Builder
	for k, v := range d {
		b.WriteString(k)
		if m, ok := v.(map[string]any); ok {
			b.WriteString(fmtDetail(m))
		} else if s, ok := v.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// TestRecordTruncatesOversizedDetail: a detail the store would refuse is
// cut to its keys, so the change it describes is still recorded.
func TestRecordTruncatesOversizedDetail(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		l, _, _ := newLog(t, store)
		huge := strings.Repeat("u", storage.MaxAuditDetail)
		err := l.Record(context.Background(), idp.AuditEvent{Type: idp.AuditClientUpdated,
			Detail: map[string]any{"redirect_uris": huge, "name": "App"}})
		if err != nil {
			t.Fatal(err)
		}
		got := list(t, store)
		want := map[string]any{"truncated": true, "keys": []any{"name", "redirect_uris"}}
		if len(got) != 1 || !reflect.DeepEqual(got[0].Detail, want) {
			t.Fatalf("stored detail %v; want %v", got[0].Detail, want)
		}
	})
}
