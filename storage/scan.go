package storage

import (
	"context"
	"encoding/json"
	"fmt"
)

// collect runs a query and scans every row with scan. An empty result is a
// nil slice.
func collect[T any](ctx context.Context, q querier, scan func(row) (T, error), query string, args ...any) ([]T, error) {
	rs, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rs.Err()
}

// affected turns "no row matched" into errNoRows, for statements that
// address one row by its key.
func affected(n int64, err error) error {
	if err == nil && n == 0 {
		return errNoRows
	}
	return err
}

// encodeList stores a list as a JSON array; nil and empty lists both become
// "[]".
func encodeList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, err := json.Marshal(list)
	if err != nil {
		// Marshalling a []string cannot fail.
		panic(err)
	}
	return string(b)
}

// decodeList reads a list stored by encodeList; an empty list comes back
// nil.
func decodeList(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("decode list column: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

// blob is how a byte slice goes into a NOT NULL column: nil is stored as
// empty.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// orNil returns b, or nil when it is empty, so both backends return the
// same value for an empty blob.
func orNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
