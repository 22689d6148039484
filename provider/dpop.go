package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/dpop"
	"github.com/idp/idp/provider/oauth"
)

// dpopProof checks the request's DPoP header (RFC 9449 §4.3) against the
// endpoint at path, and accessToken's hash when one is presented, and
// records the proof so it is accepted once. It reports ok=false with no
// error when the request carries no proof. A refused proof is a
// *dpop.Error; a store failure is returned as is.
func (p *Provider) dpopProof(ctx context.Context, r *http.Request, path, accessToken string) (proof dpop.Proof, ok bool, err error) {
	values := r.Header.Values("DPoP")
	switch len(values) {
	case 0:
		return dpop.Proof{}, false, nil
	case 1:
	default:
		return dpop.Proof{}, true, &dpop.Error{Code: dpop.CodeInvalidProof, Description: "send exactly one DPoP header"}
	}
	req := dpop.Request{Method: r.Method, URL: p.url(path), AccessToken: accessToken, Now: p.cfg.Now()}
	if p.cfg.DPoPNonce {
		req.Nonces = p.nonces
	}
	proof, err = dpop.Check(values[0], req)
	if err != nil {
		return dpop.Proof{}, true, err
	}
	err = p.store.Proofs.Use(ctx, proofKey(proof), proof.Expires)
	if errors.Is(err, idp.ErrConflict) {
		return dpop.Proof{}, true, &dpop.Error{Code: dpop.CodeInvalidProof, Description: "this DPoP proof was already used; sign a new one for each request"}
	}
	if err != nil {
		return dpop.Proof{}, true, fmt.Errorf("record dpop proof: %w", err)
	}
	return proof, true, nil
}

// proofKey names a proof in the store: its jti within its key, so one
// client's jti never collides with another's.
func proofKey(p dpop.Proof) string {
	h := sha256.Sum256([]byte(p.JKT + "\x00" + p.JTI))
	return hex.EncodeToString(h[:])
}

// bindDPoP binds the tokens about to be issued for ar to the request's
// DPoP key (RFC 9449 §5), before NewAccessResponse so a refusal spends no
// code or refresh token. A client registered with dpop_bound_access_tokens
// must send a proof (§5.2); a refresh token issued to a public client is
// bound to the key of the proof it came with and needs a proof with that
// key (§5, §5.8: confidential clients authenticate instead). Without a
// proof the tokens are bearer tokens.
func (p *Provider) bindDPoP(ar fosite.AccessRequester, proofOf func() (dpop.Proof, bool, error)) error {
	proof, ok, err := proofOf()
	if err != nil {
		return tokenDPoPError(err)
	}
	c, _ := ar.GetClient().(oauth.Client)
	if !ok && c.DPoPBoundAccessTokens {
		return errDPoP(dpop.CodeInvalidProof, "This client must send a DPoP proof with every token request.")
	}
	sess, _ := ar.GetSession().(*oauth.Session)
	if sess == nil {
		if !ok {
			return nil // a grant whose session cannot carry a binding issues bearer tokens
		}
		return fosite.ErrServerError.WithDebug("the request's session cannot carry a DPoP binding")
	}
	if ar.GetGrantTypes().ExactOne(idp.GrantRefreshToken) && c.Public() && sess.JKT != "" && !dpop.SameJKT(sess.JKT, proof.JKT) {
		return errDPoP(dpop.CodeInvalidProof, "The refresh token is bound to another DPoP key; send a proof signed with it.")
	}
	sess.JKT = proof.JKT
	return nil
}

// tokenProof returns the proof of a token request, checked and recorded
// on first use and remembered after: the binding and a replayed answer
// (replay) both ask for it, and a proof is accepted once.
func (p *Provider) tokenProof(r *http.Request) func() (dpop.Proof, bool, error) {
	var (
		done  bool
		proof dpop.Proof
		ok    bool
		err   error
	)
	return func() (dpop.Proof, bool, error) {
		if !done {
			proof, ok, err = p.dpopProof(r.Context(), r, pathToken, "")
			done = true
		}
		return proof, ok, err
	}
}

// tokenDPoPError turns a refused proof into the token endpoint's error
// (RFC 9449 §5, §8); a store failure stays what it is.
func tokenDPoPError(err error) error {
	var e *dpop.Error
	if errors.As(err, &e) {
		return errDPoP(e.Code, e.Description)
	}
	return fosite.ErrServerError.WithWrap(err)
}

func errDPoP(code, desc string) *fosite.RFC6749Error {
	return &fosite.RFC6749Error{ErrorField: code, DescriptionField: desc, CodeField: http.StatusBadRequest}
}

// setDPoPNonce hands the client the current server nonce (RFC 9449 §8.2)
// when nonces are required.
func (p *Provider) setDPoPNonce(w http.ResponseWriter) {
	if p.cfg.DPoPNonce {
		w.Header().Set("DPoP-Nonce", p.nonces.Issue(p.cfg.Now()))
	}
}

// dpopChallenge answers a resource request refused under the DPoP scheme
// (RFC 9449 §7.1): a WWW-Authenticate DPoP challenge naming the accepted
// algorithms, and a fresh nonce when one is required.
func (p *Provider) dpopChallenge(w http.ResponseWriter, status int, code, desc string) {
	v := fmt.Sprintf("DPoP algs=%q", strings.Join(dpop.AlgorithmNames(), " "))
	if code != "" {
		v += fmt.Sprintf(", error=%q, error_description=%q", code, desc)
	}
	w.Header().Set("WWW-Authenticate", v)
	w.Header().Set("Cache-Control", "no-store")
	p.setDPoPNonce(w)
	body := map[string]string{}
	if code != "" {
		body["error"], body["error_description"] = code, desc
	}
	writeJSON(w, status, body)
}

// schemeBearer is the Authorization scheme of RFC 6750.
const schemeBearer = "Bearer"

// checkBinding enforces a token's DPoP binding at a resource (RFC 9449
// §7): a bound token (jkt set) only under the DPoP scheme, with a proof
// of the same key that hashes this token into ath; the DPoP scheme only
// with a bound token. It writes the refusal and reports false.
func (p *Provider) checkBinding(w http.ResponseWriter, r *http.Request, token, scheme, jkt string) bool {
	switch {
	case scheme != oauth.TokenTypeDPoP && jkt == "":
		return true
	case scheme != oauth.TokenTypeDPoP:
		p.dpopChallenge(w, http.StatusUnauthorized, "invalid_token", "The access token is bound to a DPoP key; present it with the DPoP scheme and a proof.")
		return false
	case jkt == "":
		p.dpopChallenge(w, http.StatusUnauthorized, "invalid_token", "The access token is not bound to a DPoP key; present it with the Bearer scheme.")
		return false
	}
	proof, ok, err := p.dpopProof(r.Context(), r, pathUserinfo, token)
	var e *dpop.Error
	switch {
	case errors.As(err, &e):
		p.dpopChallenge(w, http.StatusUnauthorized, e.Code, e.Description)
		return false
	case err != nil:
		if !p.writeUnavailable(r.Context(), w, pathUserinfo, err) {
			p.log.ErrorContext(r.Context(), "userinfo: dpop proof", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
		return false
	case !ok:
		p.dpopChallenge(w, http.StatusUnauthorized, dpop.CodeInvalidProof, "A DPoP proof is required with a DPoP-bound access token.")
		return false
	case !dpop.SameJKT(jkt, proof.JKT):
		p.dpopChallenge(w, http.StatusUnauthorized, "invalid_token", "The DPoP proof is signed with another key than the access token is bound to.")
		return false
	}
	return true
}
