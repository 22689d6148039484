package sessions_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/sessions"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// seed stores a member, a client registered for back-channel logout at
// uri, and a session of the member the client took part in.
func seed(t *testing.T, s *storage.Store, uri string) idp.Session {
	t.Helper()
	ctx := context.Background()
	m := idp.Member{Email: "a@example.com", Username: "a", Name: "A", PasswordHash: "$argon2id$x", Role: idp.RoleMember}
	if err := s.Members.Create(ctx, &m); err != nil {
		t.Fatal(err)
	}
	c := idp.Client{ID: "web", Name: "Web", RedirectURIs: []string{"https://web.example/cb"},
		GrantTypes: []string{idp.GrantAuthorizationCode}, ResponseTypes: []string{"code"}, Scopes: []string{"openid"},
		TokenEndpointAuthMethod: idp.AuthMethodNone, BackchannelLogoutURI: uri}
	if err := s.Clients.Create(ctx, &c); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ss := idp.Session{TokenHash: "hash", MemberID: m.ID, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.Sessions.Create(ctx, &ss); err != nil {
		t.Fatal(err)
	}
	if err := s.Sessions.AddClient(ctx, ss.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	return ss
}

func due(t *testing.T, s *storage.Store) []idp.LogoutDelivery {
	t.Helper()
	d, err := s.Outbox.Due(context.Background(), time.Now().Add(365*24*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestEndQueuesOneDelivery checks that ending a session removes it and
// queues one logout for its client, and that ending it again (a
// concurrent logout) queues nothing more.
func TestEndQueuesOneDelivery(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ss := seed(t, s, "https://web.example/logout")
		for range 2 {
			if err := sessions.End(context.Background(), s, []idp.Session{ss}, true); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Sessions.ByID(context.Background(), ss.ID); err == nil {
			t.Error("session still stored after End")
		}
		d := due(t, s)
		if len(d) != 1 || d[0].ClientID != "web" || d[0].SessionID != ss.ID || d[0].MemberID != ss.MemberID {
			t.Fatalf("outbox = %+v; want one delivery to web for the session", d)
		}
	})
}

// TestEndIdleEndsOnlyIdleSessions checks that EndIdle hands endOne the
// sessions unused for longer than the idle timeout, and no other.
func TestEndIdleEndsOnlyIdleSessions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ss := seed(t, s, "")
		var ended []string
		endOne := func(ctx context.Context, x idp.Session) error {
			ended = append(ended, x.ID)
			return sessions.End(ctx, s, []idp.Session{x}, true)
		}
		ctx := context.Background()
		if err := sessions.EndIdle(ctx, s, time.Now(), time.Hour, endOne); err != nil || len(ended) != 0 {
			t.Fatalf("EndIdle on a fresh session ended %v, %v; want none", ended, err)
		}
		if err := sessions.EndIdle(ctx, s, time.Now().Add(2*time.Hour), 3*time.Hour, endOne); err != nil ||
			len(ended) != 1 || ended[0] != ss.ID {
			t.Fatalf("EndIdle past the session's expiry ended %v, %v; want [%s]", ended, err, ss.ID)
		}
		if len(due(t, s)) != 0 {
			t.Error("a client without a back-channel URI got a delivery")
		}
	})
}

// TestNotifierDeliversSignedToken checks that the notifier posts the
// token Sign made from the §2.4 claims to the client's URI, then clears
// the outbox.
func TestNotifierDeliversSignedToken(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		got := make(chan string, 1)
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- r.PostFormValue("logout_token")
		}))
		defer rcv.Close()
		ss := seed(t, s, rcv.URL)
		var claims, header map[string]any
		n := sessions.NewNotifier(sessions.NotifierConfig{
			Store: s, Log: slog.New(slog.DiscardHandler), Now: time.Now, Issuer: "https://idp.example",
			Sign: func(_ context.Context, c, h map[string]any) (string, error) {
				claims, header = c, h
				return "signed-" + c["sid"].(string), nil
			},
			Poll: 20 * time.Millisecond, RetryBase: time.Second, MaxAttempts: 3,
		})
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { n.Run(stop); close(done) }()
		if err := sessions.End(context.Background(), s, []idp.Session{ss}, true); err != nil {
			t.Fatal(err)
		}
		n.Notify()
		select {
		case tok := <-got:
			if tok != "signed-"+ss.ID {
				t.Errorf("logout_token = %q, want the signed token", tok)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no delivery")
		}
		close(stop)
		<-done
		if claims["iss"] != "https://idp.example" || claims["sub"] != ss.MemberID || claims["nonce"] != nil ||
			claims["events"].(map[string]any)[sessions.Event] == nil || header["typ"] != "logout+jwt" {
			t.Errorf("signed claims %v header %v", claims, header)
		}
		if d := due(t, s); len(d) != 0 {
			t.Errorf("outbox after delivery = %+v, want empty", d)
		}
	})
}
