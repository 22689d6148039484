package provider_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

func openSQLite(t testing.TB) *storage.Store { return storagetest.SQLite(t) }

func asRetrieveError(err error, re **oauth2.RetrieveError) bool { return errors.As(err, re) }

type htmlNode = html.Node

func walkInputs(pg *page) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	if pg.doc != nil {
		walk(pg.doc)
	}
	return out
}

func jsonField(t testing.TB, body []byte, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[key].(string)
	if s == "" {
		t.Fatalf("no %s in %s", key, body)
	}
	return s
}

// rawClaims is a JWT's payload as sent.
func rawClaims(t testing.TB, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
