package admin

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
)

// keyJSON is a signing key's public facts; the sealed private key is never
// shown.
type keyJSON struct {
	ID        string        `json:"kid"`
	Algorithm string        `json:"alg"`
	State     keys.KeyState `json:"state"`
	CreatedAt time.Time     `json:"created_at"`
	ActiveAt  time.Time     `json:"active_at"`
}

// DefaultActivateAfter is the delay of `idp keys rotate` without
// --activate-after: keys.MinActivateAfter rounded up.
const DefaultActivateAfter = 2 * time.Minute

// rotateRequest is the optional body of POST /keys/rotate.
type rotateRequest struct {
	// ActivateAfter is a Go duration ("2m", "1h"); at least
	// keys.MinActivateAfter.
	ActivateAfter string `json:"activate_after"`
	// Algorithm is the algorithm whose key is rotated (keys.Algorithms;
	// RS256 when empty): each has its own active key.
	Algorithm string `json:"alg"`
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request) error {
	rows, err := a.cfg.Store.Keys.List(r.Context())
	if err != nil {
		return err
	}
	states := keys.States(rows, a.cfg.Now())
	out := list[keyJSON]{Items: []keyJSON{}}
	for i, k := range rows {
		out.Items = append(out.Items, renderKey(k, states[i]))
	}
	return writeJSON(w, http.StatusOK, out)
}

func renderKey(k idp.SigningKey, s keys.KeyState) keyJSON {
	return keyJSON{ID: k.ID, Algorithm: k.Algorithm, State: s, CreatedAt: k.CreatedAt, ActiveAt: k.ActiveAt}
}

// rotateKey adds a signing key of alg (RS256 by default) that replicas
// sign with after activate_after, as `idp keys rotate` does (keys.Rotate).
func (a *API) rotateKey(w http.ResponseWriter, r *http.Request) error {
	after, alg := DefaultActivateAfter, keys.RS256
	if r.ContentLength != 0 {
		var in rotateRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		if in.ActivateAfter != "" {
			d, err := time.ParseDuration(in.ActivateAfter)
			if err != nil {
				return fieldProblem("activate_after", "not a duration such as 2m or 1h")
			}
			after = d
		}
		if in.Algorithm != "" {
			if !keys.Supported(in.Algorithm) {
				return fieldProblem("alg", "not one of "+strings.Join(keys.Algorithms, ", "))
			}
			alg = in.Algorithm
		}
	}
	var k idp.SigningKey
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		var err error
		if k, err = keys.Rotate(ctx, a.cfg.Store, a.cfg.Secret, alg, a.cfg.Now(), after); err != nil {
			return err
		}
		return a.record(ctx, r, idp.AuditEvent{Type: idp.AuditKeyRotated,
			Detail: map[string]any{"kid": k.ID, "alg": k.Algorithm, "active_at": k.ActiveAt}})
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, renderKey(k, keys.StateNext))
}
