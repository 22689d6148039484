package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"golang.org/x/text/language"

	"github.com/idp/idp/keys"
)

// TestCatalogsComplete: every message the pages can show (the literals
// templates pass to t and to "head", the error table, the scope
// descriptions, the sign-in and device messages of authflow, the
// messages of the account pages and the admin console, the console's
// notices, the ways back, the signing keys' states) has a translation in every catalog, with the same %s arguments.
func TestCatalogsComplete(t *testing.T) {
	k, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]string{} // message → where it came from
	for name, tmpl := range k.Pages.byName {
		for _, tt := range tmpl.Templates() {
			if tt.Tree != nil {
				templateMessages(tt.Tree.Root, name+"/"+tt.Name(), msgs)
			}
		}
	}
	for _, s := range ScopeDescriptions {
		msgs[s] = "ScopeDescriptions"
	}
	for _, p := range []string{"/account/x", "/device", "/oauth2/logout"} {
		_, label := wayBack(p)
		msgs[label] = "wayBack"
	}
	for _, s := range []keys.KeyState{keys.StateNext, keys.StateActive, keys.StateRetiring} {
		msgs[string(s)] = "keys.KeyState"
	}
	sourceMessages(t, "errors.go", msgs)
	var files []string
	for _, dir := range []string{"../authflow", "../account", "../console"} {
		fs, _ := filepath.Glob(dir + "/*.go")
		if len(fs) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		files = append(files, fs...)
	}
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			sourceMessages(t, f, msgs)
		}
	}
	if len(msgs) < 80 {
		t.Fatalf("found only %d messages: the scan is broken", len(msgs))
	}
	for tag, cat := range catalogs {
		for m, where := range msgs {
			tr, ok := cat[m]
			if !ok {
				t.Errorf("%s: no translation of %q (%s)", tag, m, where)
				continue
			}
			if strings.Count(tr, "%s") != strings.Count(m, "%s") || strings.Count(tr, "%") != strings.Count(m, "%") {
				t.Errorf("%s: %q has other arguments than %q", tag, tr, m)
			}
		}
	}
	if _, ok := catalogs[language.French]; !ok {
		t.Fatal("no French catalog")
	}
}

// templateMessages adds the string literals passed to t, and the titles
// passed to the "head" template.
func templateMessages(n parse.Node, where string, out map[string]string) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				templateMessages(c, where, out)
			}
		}
	case *parse.ActionNode:
		templateMessages(n.Pipe, where, out)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			templateMessages(c, where, out)
		}
	case *parse.CommandNode:
		if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "t" && len(n.Args) > 1 {
			if s, ok := n.Args[1].(*parse.StringNode); ok {
				out[s.Text] = where
			}
		}
		for _, a := range n.Args {
			if p, ok := a.(*parse.PipeNode); ok {
				templateMessages(p, where, out)
			}
		}
	case *parse.IfNode:
		templateMessages(n.Pipe, where, out)
		templateMessages(n.List, where, out)
		templateMessages(n.ElseList, where, out)
	case *parse.RangeNode:
		templateMessages(n.Pipe, where, out)
		templateMessages(n.List, where, out)
		templateMessages(n.ElseList, where, out)
	case *parse.WithNode:
		templateMessages(n.Pipe, where, out)
		templateMessages(n.List, where, out)
		templateMessages(n.ElseList, where, out)
	case *parse.TemplateNode:
		if n.Name == "head" && n.Pipe != nil && len(n.Pipe.Cmds) == 1 {
			if s, ok := n.Pipe.Cmds[0].Args[0].(*parse.StringNode); ok {
				out[s.Text] = where
			}
		}
	}
}

// sourceMessages adds the Title and Message of every ErrorPage literal in
// a Go file, every string constant whose name starts with msg or Msg,
// and the values of the maps of messages shown by key (notices,
// profileLabels).
func sourceMessages(t *testing.T, file string, out map[string]string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	str := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if id, ok := n.Type.(*ast.Ident); ok && id.Name == "ErrorPage" || isSel(n.Type, "ErrorPage") {
				for _, e := range n.Elts[1:min(3, len(n.Elts))] {
					if s, ok := str(e); ok {
						out[s] = file
					}
				}
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i >= len(n.Values) {
					continue
				}
				if strings.HasPrefix(name.Name, "msg") || strings.HasPrefix(name.Name, "Msg") {
					if s, ok := str(n.Values[i]); ok {
						out[s] = file
					}
				}
				if lit, ok := n.Values[i].(*ast.CompositeLit); ok && messageMaps[name.Name] {
					for _, e := range lit.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok {
							if s, ok := str(kv.Value); ok {
								out[s] = file + " " + name.Name
							}
						}
					}
				}
			}
		}
		return true
	})
}

// messageMaps are the maps whose values a page shows through t.
var messageMaps = map[string]bool{"notices": true, "profileLabels": true}

func isSel(e ast.Expr, name string) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && s.Sel.Name == name
}
