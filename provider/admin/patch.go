package admin

import (
	"context"
	"net/http"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
)

// patchable is what a PATCH endpoint needs to know about its resource T
// and its writable fields F: how to lock and reread the row, which fields
// a merge patch may touch, which rule writes it, and which audit event
// describes the change.
type patchable[T any, F interface{ apply(*T) }] struct {
	lock   func(ctx context.Context, id string) (T, error)
	byID   func(ctx context.Context, id string) (T, error)
	fields func(T) F
	id     func(T) string
	// update writes through the members/clients rules, never around them.
	update func(ctx context.Context, v T) error
	event  func(v T, detail map[string]any) idp.AuditEvent
}

// patchResource applies a JSON merge patch (RFC 7396) under If-Match: the
// row is locked, checked against the precondition, patched, written
// through the rules, reread and audited in one transaction, so two admins
// never silently overwrite each other. It returns the stored result.
func patchResource[T any, F interface{ apply(*T) }](a *API, r *http.Request, p patchable[T, F]) (T, error) {
	var after T
	check, err := precondition(r)
	if err != nil {
		return after, err
	}
	body, err := readPatch(r)
	if err != nil {
		return after, err
	}
	err = a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		before, err := p.lock(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := check(before); err != nil {
			return err
		}
		f := p.fields(before)
		if err := patch(body, &f); err != nil {
			return err
		}
		v := before
		f.apply(&v)
		if err := p.update(ctx, v); err != nil {
			return err
		}
		if after, err = p.byID(ctx, p.id(v)); err != nil {
			return err
		}
		d := audit.Changes(asMap(p.fields(before)), asMap(p.fields(after)))
		if d == nil {
			return nil
		}
		return a.record(ctx, r, p.event(after, d))
	})
	return after, err
}
