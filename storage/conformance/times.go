package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testTimes checks that every backend returns the same instants: UTC,
// whole microseconds, equal with == (so reflect.DeepEqual works on the
// structs), including the zero time and instants before 1970 and after
// 2038.
func testTimes(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	instants := []time.Time{
		{},
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Unix(0, 0),
		base,
		time.Date(2100, 1, 1, 0, 0, 0, 1500, time.FixedZone("west", -7*3600)),
	}
	for i, at := range instants {
		f := idp.Flow{ClientID: "app", AuthTime: at, CreatedAt: base, ExpiresAt: at}
		must(t, s.Flows.Create(ctx, &f))
		got, err := s.Flows.ByID(ctx, f.ID)
		must(t, err)
		want := at.UTC().Truncate(time.Microsecond)
		if at.IsZero() {
			want = time.Time{}
		}
		if got.AuthTime != want || got.ExpiresAt != want {
			t.Errorf("instant %d (%v): stored %v / %v, want %v", i, at, got.AuthTime, got.ExpiresAt, want)
		}
		if got.AuthTime.Location() != time.UTC {
			t.Errorf("instant %d: location %v, want UTC", i, got.AuthTime.Location())
		}
	}
	tok := token(storage.KindAccess, "t", "r", "app")
	tok.RequestedAt = time.Now() // with a monotonic reading
	must(t, s.Tokens.Create(ctx, tok))
	got, err := s.Tokens.Get(ctx, storage.KindAccess, "t")
	must(t, err)
	if got.RequestedAt != norm(tok.RequestedAt) {
		t.Errorf("RequestedAt = %v, want %v", got.RequestedAt, norm(tok.RequestedAt))
	}
}
