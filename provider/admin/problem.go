package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/members"
)

// problemBase prefixes every problem type. The types are relative URIs
// under the API (RFC 9457 §3.1.1); they are stable, so clients may switch
// on them, and never change with the provider's issuer.
const problemBase = Prefix + "/problems/"

// Problem is an RFC 9457 problem document. Field names the offending
// input field (bootstrap file names, "redirect_uris[1]"); Errors lists
// every broken rule when there are several.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Field  string         `json:"field,omitempty"`
	Errors []FieldProblem `json:"errors,omitempty"`
	// challenge is the WWW-Authenticate header of a 401 or 403 (RFC 6750
	// §3).
	challenge string
}

// FieldProblem is one broken rule of the input.
type FieldProblem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// newProblem makes the problem of a kind, e.g. newProblem(kindNotFound,
// "no member abc").
func newProblem(k kind, detail string) *Problem {
	return &Problem{Type: problemBase + k.name, Title: k.title, Status: k.status, Detail: detail}
}

// kind is one entry of the error table: each has a stable type name.
type kind struct {
	name   string
	title  string
	status int
}

var (
	kindBadJSON         = kind{"bad-json", "The body is not valid JSON", http.StatusBadRequest}
	kindUnauthorized    = kind{"unauthorized", "A valid access token is required", http.StatusUnauthorized}
	kindForbidden       = kind{"forbidden", "The token does not allow administration", http.StatusForbidden}
	kindNotFound        = kind{"not-found", "Not found", http.StatusNotFound}
	kindConflict        = kind{"conflict", "The value is taken", http.StatusConflict}
	kindPrecondition    = kind{"precondition-failed", "The resource changed since it was read", http.StatusPreconditionFailed}
	kindTooLarge        = kind{"too-large", "The body is too large", http.StatusRequestEntityTooLarge}
	kindMediaType       = kind{"unsupported-media-type", "Unsupported content type", http.StatusUnsupportedMediaType}
	kindInvalidField    = kind{"invalid-field", "The input breaks a rule", http.StatusUnprocessableEntity}
	kindPreconditionReq = kind{"precondition-required", "If-Match is required", http.StatusPreconditionRequired}
	kindUnavailable     = kind{"unavailable", "The store is unavailable", http.StatusServiceUnavailable}
	kindMailOff         = kind{"mail-off", "The provider sends no mail", http.StatusConflict}
	kindInternal        = kind{"internal", "Internal error", http.StatusInternalServerError}
	errNoRoute          = newProblem(kindNotFound, "There is no such endpoint.")
	errTooLarge         = newProblem(kindTooLarge, "The body is larger than 64 KiB.")
	errStale            = newProblem(kindPrecondition, "If-Match does not name the current ETag; GET the resource again and reapply the change.")
	errIfMatchMissing   = newProblem(kindPreconditionReq, "Send If-Match with the ETag of a GET (RFC 9110 §13.1.1), so a change made meanwhile is not overwritten.")
)

// fieldProblem is 422 for one field.
func fieldProblem(field, detail string) *Problem {
	p := newProblem(kindInvalidField, field+": "+detail)
	p.Field = field
	p.Errors = []FieldProblem{{Field: field, Detail: detail}}
	return p
}

// toProblem maps an error to its problem: the one table from domain errors
// to HTTP. Unknown errors are internal and their detail is not shown.
func toProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if fields := fieldErrors(err); len(fields) > 0 {
		out := newProblem(kindInvalidField, fields[0].Field+": "+fields[0].Detail)
		out.Field, out.Errors = fields[0].Field, fields
		return out
	}
	var dup *idp.DuplicateError
	switch {
	case errors.As(err, &dup):
		out := newProblem(kindConflict, dup.Error())
		out.Field = dup.Field
		return out
	case errors.Is(err, members.ErrMailOff):
		return newProblem(kindMailOff, "Start the provider with --smtp-url and --mail-from to send invitations.")
	case errors.Is(err, idp.ErrNotFound):
		return newProblem(kindNotFound, "No such resource.")
	case errors.Is(err, idp.ErrConflict):
		return newProblem(kindConflict, "The change conflicts with another; retry.")
	case errors.Is(err, keys.ErrActivateTooSoon):
		return fieldProblem("activate_after", keys.ErrActivateTooSoon.Error())
	case errors.Is(err, idp.ErrUnavailable):
		return newProblem(kindUnavailable, "The database did not answer; retry shortly.")
	case errors.Is(err, idp.ErrInvalid):
		return newProblem(kindInvalidField, strings.TrimPrefix(err.Error(), "invalid: "))
	}
	return newProblem(kindInternal, "")
}

// fieldErrors collects the rule violations of packages clients and
// members, however deeply joined or wrapped.
func fieldErrors(err error) []FieldProblem {
	var out []FieldProblem
	var walk func(error)
	walk = func(err error) {
		var ce *clients.FieldError
		var me *members.FieldError
		switch {
		case errors.As(err, &ce) && !isJoin(err):
			out = append(out, FieldProblem{Field: ce.Field, Detail: ce.Msg})
			return
		case errors.As(err, &me) && !isJoin(err):
			out = append(out, FieldProblem{Field: me.Field, Detail: me.Msg})
			return
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

func isJoin(err error) bool {
	for err != nil {
		if _, ok := err.(interface{ Unwrap() []error }); ok {
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}

// writeError answers with err's problem document; an internal error is
// logged once with its detail, which the answer never carries.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := toProblem(err)
	if p.Status >= http.StatusInternalServerError {
		a.cfg.Logger.Error("admin request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	if p.challenge != "" {
		w.Header().Set("WWW-Authenticate", p.challenge)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteTooLarge answers a request whose declared body exceeds the
// provider's limit before it is routed, with this API's problem document.
func WriteTooLarge(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(errTooLarge.Status)
	_ = json.NewEncoder(w).Encode(errTooLarge)
}
