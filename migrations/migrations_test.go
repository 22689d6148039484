package migrations

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// TestBackendsMatch checks that every version exists for both backends and
// that each file can be applied and rolled back.
func TestBackendsMatch(t *testing.T) {
	names := func(fsys fs.FS) []string {
		t.Helper()
		list, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range list {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, mark := range []string{"-- +goose Up\n", "-- +goose Down\n"} {
				if !strings.Contains(string(b), mark) {
					t.Errorf("%s lacks %q", name, strings.TrimSpace(mark))
				}
			}
		}
		return list
	}
	pg, lite := names(Postgres), names(SQLite)
	if len(pg) == 0 {
		t.Fatal("no migrations embedded")
	}
	if !reflect.DeepEqual(pg, lite) {
		t.Errorf("versions differ:\npostgres %q\nsqlite   %q", pg, lite)
	}
}
