package main

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// pendingLifetime bounds how long a login or logout round trip through the
// provider may take.
const pendingLifetime = 10 * time.Minute

// session is a member signed in to this app. The browser holds only its
// random ID in an HttpOnly cookie; tokens never leave the server.
type session struct {
	ID string
	// CSRF is sent back with every form post, so another site cannot make
	// the browser refresh or log out.
	CSRF    string
	Subject string
	// SID is the provider's session id from the ID token; a back-channel
	// logout token names it.
	SID string
	// Nonce is the login's; a refreshed ID token may only repeat it.
	Nonce    string
	IDToken  string // raw, sent as id_token_hint at logout
	IDClaims []claim
	UserInfo []claim
	Token    *oauth2.Token
	// Flash is a one-time message for the next page view.
	Flash   string
	Expires time.Time
	// refresh serialises refreshes of this session: the provider rotates
	// refresh tokens and treats a second use of one as theft.
	refresh *sync.Mutex
}

// pending is a login or logout in flight at the provider: what the browser
// must bring back (RFC 6749 §10.12, OpenID Connect Core §3.1.2.1).
type pending struct {
	State    string
	Nonce    string // logins only
	Verifier string // PKCE code verifier (RFC 7636), logins only
	Expires  time.Time
}

// store keeps sessions and pending round trips in memory: a restart signs
// everyone out, which is fine for a demo. Safe for concurrent use; sessions
// are handed out as copies and changed only through update.
type store struct {
	mu       sync.Mutex
	now      func() time.Time
	sessions map[string]*session
	pending  map[string]pending
}

func newStore(now func() time.Time) *store {
	return &store{now: now, sessions: map[string]*session{}, pending: map[string]pending{}}
}

// randomString returns 32 random bytes, base64url-encoded: enough entropy for
// session ids, state, nonce and CSRF tokens.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// add stores s under a new random ID and returns that ID.
func (st *store) add(s session) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.pruneLocked()
	s.ID = randomString()
	s.refresh = new(sync.Mutex)
	st.sessions[s.ID] = &s
	return s.ID
}

// get returns a copy of the live session with that ID.
func (st *store) get(id string) (session, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.sessions[id]
	if !ok || !st.now().Before(s.Expires) {
		return session{}, false
	}
	return *s, true
}

// update applies f to the live session with that ID, atomically.
func (st *store) update(id string, f func(*session)) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.sessions[id]
	if ok {
		f(s)
	}
	return ok
}

func (st *store) remove(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.sessions, id)
}

// endMatching removes every session for which match is true and returns how
// many it removed.
func (st *store) endMatching(match func(*session) bool) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for id, s := range st.sessions {
		if match(s) {
			delete(st.sessions, id)
			n++
		}
	}
	return n
}

// begin records a pending round trip and returns the key the browser's
// cookie will carry.
func (st *store) begin(p pending) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.pruneLocked()
	p.Expires = st.now().Add(pendingLifetime)
	key := randomString()
	st.pending[key] = p
	return key
}

// finish removes and returns the pending round trip with that key: each can
// be completed once.
func (st *store) finish(key string) (pending, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.pending[key]
	delete(st.pending, key)
	if !ok || !st.now().Before(p.Expires) {
		return pending{}, false
	}
	return p, true
}

func (st *store) pruneLocked() {
	now := st.now()
	for id, s := range st.sessions {
		if !now.Before(s.Expires) {
			delete(st.sessions, id)
		}
	}
	for k, p := range st.pending {
		if !now.Before(p.Expires) {
			delete(st.pending, k)
		}
	}
}
