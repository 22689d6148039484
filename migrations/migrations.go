// Package migrations holds the versioned schema of the provider's database,
// one directory per backend with the same version numbers, embedded in the
// binary. Package storage applies them with goose; the table definitions
// live only here.
//
// Each file carries goose annotations (-- +goose Up / -- +goose Down) and is
// named NNNNN_name.sql. A change to the schema is a new file in both
// directories with the same version, never an edit of an applied one.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Postgres and SQLite are the migration files of each backend, at the root
// of their file systems as goose expects them.
var (
	Postgres = sub("postgres")
	SQLite   = sub("sqlite")
)

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		// fs.Sub fails only on an invalid path, which is a constant here.
		panic(err)
	}
	return f
}
