package main

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/idp/idp/dpop"
)

// schemeDPoP is the Authorization scheme of a DPoP-bound access token
// (RFC 9449 §7.1).
const schemeDPoP = "DPoP"

// checkBinding applies RFC 9449 §7 to a verified token: a token bound to
// a key (cnf.jkt) must come under the DPoP scheme with one proof, signed
// by that key, for this method and URL, carrying the token's hash, and
// never seen before; an unbound token must not come under the DPoP
// scheme. The error's description is safe to send.
func (s *server) checkBinding(r *http.Request, scheme, raw string, tok accessToken) (code string, err error) {
	dpopScheme := strings.EqualFold(scheme, schemeDPoP)
	switch {
	case tok.JKT == "" && !dpopScheme:
		return "", nil
	case tok.JKT == "":
		return "invalid_token", invalid("The access token is not bound to a key; use the Bearer scheme", nil)
	case !dpopScheme:
		return "invalid_token", invalid("The access token is bound to a key; use the DPoP scheme with a proof", nil)
	}
	proofs := r.Header.Values("DPoP")
	if len(proofs) != 1 {
		return dpop.CodeInvalidProof, invalid("Send exactly one DPoP proof", nil)
	}
	proof, err := dpop.Check(proofs[0], dpop.Request{
		Method: r.Method, URL: s.cfg.URL + r.URL.Path, AccessToken: raw, Now: s.cfg.Now(),
	})
	if e := (*dpop.Error)(nil); errors.As(err, &e) {
		return e.Code, invalid(e.Description, err)
	}
	if err != nil {
		return dpop.CodeInvalidProof, invalid("The DPoP proof is invalid", err)
	}
	if !dpop.SameJKT(tok.JKT, proof.JKT) {
		return "invalid_token", invalid("The DPoP proof is signed with another key than the token is bound to", nil)
	}
	if !s.proofs.use(proof.JKT+"\x00"+proof.JTI, proof.Expires, s.cfg.Now()) {
		return dpop.CodeInvalidProof, invalid("The DPoP proof was already used", nil)
	}
	return "", nil
}

// seenProofs remembers the proofs this API accepted until they expire
// (RFC 9449 §11.1). It lives in memory: the example runs as one process;
// replicas would share a store with a unique key, as the provider does.
type seenProofs struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// maxSeenProofs bounds the memory a flood of valid proofs can take; past
// it, new proofs are refused until old ones expire.
const maxSeenProofs = 100_000

// use records key until expires and reports whether it was new.
func (p *seenProofs) use(key string, expires, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]time.Time{}
	}
	if len(p.seen) >= maxSeenProofs {
		for k, exp := range p.seen {
			if !exp.After(now) {
				delete(p.seen, k)
			}
		}
	}
	if exp, ok := p.seen[key]; ok && exp.After(now) || len(p.seen) >= maxSeenProofs {
		return false
	}
	p.seen[key] = expires
	return true
}
