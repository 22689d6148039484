package storage

import (
	"context"

	"github.com/idp/idp"
)

// Keys stores the signing keys shared by every replica. Key material stays
// sealed: the store only moves bytes.
type Keys struct{ s *Store }

const keyColumns = `id, algorithm, sealed, created_at, active_at`

func scanKey(r row) (idp.SigningKey, error) {
	var k idp.SigningKey
	err := r.Scan(&k.ID, &k.Algorithm, &k.Sealed, &k.CreatedAt, &k.ActiveAt)
	k.Sealed = orNil(k.Sealed)
	return k, err
}

// Insert adds key as given (times normalised to UTC microseconds). An
// existing ID returns an error wrapping idp.ErrConflict.
func (k *Keys) Insert(ctx context.Context, key idp.SigningKey) error {
	return k.s.wrap("keys: insert", k.insert(ctx, key))
}

func (k *Keys) insert(ctx context.Context, key idp.SigningKey) error {
	_, err := k.s.exec(ctx, `INSERT INTO signing_keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		key.ID, key.Algorithm, blob(key.Sealed), key.CreatedAt, key.ActiveAt)
	return err
}

// InsertFirst inserts key only if no key of its algorithm is stored yet,
// and reports whether it did. It is atomic across processes: when replicas
// start at once on an empty database, exactly one key per algorithm is
// stored and every other call reports false. On PostgreSQL a transaction-scoped advisory lock serialises the
// check and the insert; on SQLite the write transaction does.
func (k *Keys) InsertFirst(ctx context.Context, key idp.SigningKey) (bool, error) {
	var inserted bool
	err := k.s.InTx(ctx, func(ctx context.Context) error {
		if lock := k.s.dialect.lockKeys; lock != "" {
			if _, err := k.s.exec(ctx, lock); err != nil {
				return err
			}
		}
		var n int64
		if err := k.s.q(ctx).queryRow(ctx, `SELECT count(*) FROM signing_keys WHERE algorithm = $1`, key.Algorithm).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		inserted = true
		return k.insert(ctx, key)
	})
	if err != nil {
		return false, k.s.wrap("keys: insert first", err)
	}
	return inserted, nil
}

// List returns every key, the newest ActiveAt first (ties broken by ID).
func (k *Keys) List(ctx context.Context) ([]idp.SigningKey, error) {
	list, err := collect(ctx, k.s.q(ctx), scanKey,
		`SELECT `+keyColumns+` FROM signing_keys ORDER BY active_at DESC, id`+k.s.dialect.bytewise)
	return list, k.s.wrap("keys: list", err)
}

// Delete removes the key with the given ID, or returns an error wrapping
// idp.ErrNotFound.
func (k *Keys) Delete(ctx context.Context, id string) error {
	n, err := k.s.exec(ctx, `DELETE FROM signing_keys WHERE id = $1`, id)
	return k.s.wrap("keys: delete", affected(n, err))
}
