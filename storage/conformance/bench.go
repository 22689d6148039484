package conformance

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// BenchmarkTokensCreate measures Tokens.Create, the one store call on the
// client-credentials hot path, with a row shaped like the provider's (a
// JWT-length signature, a request of about a kilobyte), from one goroutine
// and from GOMAXPROCS goroutines.
func BenchmarkTokensCreate(b *testing.B, s *storage.Store) {
	ctx := context.Background()
	c := idp.Client{ID: "bench", TokenEndpointAuthMethod: idp.AuthMethodBasic}
	if err := s.Clients.Create(ctx, &c); err != nil {
		b.Fatal(err)
	}
	request := []byte(`{"id":"req","client_id":"bench","granted_scope":["api"],"session":` +
		`{"extra":{}, "pad":"` + strings.Repeat("x", 900) + `"}}`)
	sigPad := strings.Repeat("s", 320)
	var n atomic.Int64
	create := func(b *testing.B) {
		i := n.Add(1)
		now := time.Now()
		err := s.Tokens.Create(ctx, storage.Token{
			Kind:        storage.KindAccess,
			Signature:   fmt.Sprintf("%s%d", sigPad, i),
			RequestID:   fmt.Sprintf("req-%d", i),
			ClientID:    "bench",
			Subject:     "bench",
			RequestedAt: now,
			ExpiresAt:   now.Add(time.Hour),
			Active:      true,
			Request:     request,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			create(b)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				create(b)
			}
		})
	})
}
