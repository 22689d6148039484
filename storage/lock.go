package storage

import (
	"context"

	"github.com/idp/idp"
)

// Lock returns the member with the given ID and keeps any other
// transaction from changing it until the transaction ctx carries ends, so
// a check made on what Lock returned (an If-Match precondition) still holds
// when the change is written. Without a transaction in ctx it is ByID. It
// returns an error wrapping idp.ErrNotFound when no such member exists.
func (m *Members) Lock(ctx context.Context, id string) (idp.Member, error) {
	mem, err := scanMember(m.s.q(ctx).queryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE id = $1`+m.s.dialect.forUpdate, id))
	return mem, m.s.wrap("members: lock", err)
}

// Lock returns the client with the given ID and keeps any other
// transaction from changing it until the transaction ctx carries ends, as
// Members.Lock.
func (c *Clients) Lock(ctx context.Context, id string) (idp.Client, error) {
	cl, err := scanClient(c.s.q(ctx).queryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1`+c.s.dialect.forUpdate, id))
	return cl, c.s.wrap("clients: lock", err)
}
