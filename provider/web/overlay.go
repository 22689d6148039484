package web

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// overlay is the embedded templates with the files of an operator's
// directory in front: a file there replaces the embedded one of the same
// name, every other name falls back to the embedded file, so an upgrade
// that adds a page still starts with an older, partial override.
type overlay struct {
	dir  string
	over fs.FS
	base fs.FS
	// names are the overriding files, by name.
	names map[string]bool
}

func newOverlay(dir string, base fs.FS) (*overlay, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("templates dir: %w", err)
	}
	o := &overlay{dir: dir, over: os.DirFS(dir), base: base, names: map[string]bool{}}
	for _, e := range entries {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			o.names[e.Name()] = true
		}
	}
	return o, nil
}

// Open opens name from the directory when it overrides it, else the
// embedded file.
func (o *overlay) Open(name string) (fs.File, error) {
	if o.names[name] {
		return o.over.Open(name)
	}
	return o.base.Open(name)
}

// check parses every overriding template on its own, so a broken one
// fails start-up with its path rather than a page name that may hide
// which file is at fault.
func (o *overlay) check(funcs template.FuncMap) error {
	var errs []error
	for name := range o.names {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		path := filepath.Join(o.dir, name)
		b, err := fs.ReadFile(o.over, name)
		if err == nil {
			_, err = template.New(name).Funcs(funcs).Parse(string(b))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("templates dir: %s: %w", path, err))
		}
	}
	return errors.Join(errs...)
}
