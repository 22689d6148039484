package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// consoleAs signs b in through the console's login page as user and
// returns the page the console shows first (the members list).
func (e *env) consoleAs(b *browser, user, pass string) *page {
	e.t.Helper()
	pg := b.get(e.issuer + "/admin")
	if !pg.isLogin() {
		e.t.Fatalf("/admin without a session: want the login page, got %d %s", pg.resp.StatusCode, pg.body)
	}
	return b.submit(pg, url.Values{"username": {user}, "password": {pass}}, "", "")
}

// formAt returns the form of pg whose action is action, or nil.
func formAt(pg *page, action string) *html.Node {
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" && attr(n, "action") == action {
			found = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	if pg.doc != nil {
		walk(pg.doc)
	}
	return found
}

// formValues is what a browser sends for form: its inputs (checkboxes
// when checked), textareas and selected options.
func consoleFormValues(form *html.Node) url.Values {
	vals := url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name := attr(n, "name")
			switch n.Data {
			case "input":
				switch attr(n, "type") {
				case "checkbox", "radio":
					if hasAttr(n, "checked") {
						vals.Add(name, attr(n, "value"))
					}
				case "submit", "button":
				default:
					if name != "" {
						vals.Add(name, attr(n, "value"))
					}
				}
			case "textarea":
				var sb strings.Builder
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					sb.WriteString(c.Data)
				}
				vals.Add(name, sb.String())
			case "select":
				first, chosen := "", ""
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode && c.Data == "option" {
						if first == "" {
							first = attr(c, "value")
						}
						if hasAttr(c, "selected") {
							chosen = attr(c, "value")
						}
					}
				}
				if chosen == "" {
					chosen = first
				}
				vals.Add(name, chosen)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return vals
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// send submits the form of pg whose action is action as a browser would,
// with fields replacing its values (an empty list removes a field).
func (b *browser) send(pg *page, action string, fields url.Values) *page {
	b.t.Helper()
	form := formAt(pg, action)
	if form == nil {
		b.t.Fatalf("no form with action %s on %s (status %d):\n%s", action, pg.resp.Request.URL, pg.resp.StatusCode, pg.body)
	}
	vals := consoleFormValues(form)
	for k, v := range fields {
		if len(v) == 0 {
			vals.Del(k)
			continue
		}
		vals[k] = v
	}
	u, err := pg.resp.Request.URL.Parse(action)
	if err != nil {
		b.t.Fatal(err)
	}
	if !strings.EqualFold(attr(form, "method"), http.MethodPost) {
		u.RawQuery = vals.Encode()
		return b.get(u.String())
	}
	return b.do(mustRequest(b.t, http.MethodPost, u.String(), vals))
}

// auditOf returns the audit events of type typ, newest first.
func (e *env) auditOf(typ idp.AuditType) []idp.AuditEvent {
	e.t.Helper()
	list, _, err := e.store.Audit.List(context.Background(), storage.AuditQuery{Type: typ, Limit: storage.MaxAuditLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// wantStatus fails unless pg has status and contains every part.
func wantStatus(t testing.TB, pg *page, status int, parts ...string) {
	t.Helper()
	if pg.resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d:\n%s", pg.resp.Request.URL, pg.resp.StatusCode, status, pg.body)
	}
	for _, p := range parts {
		if !strings.Contains(pg.body, p) {
			t.Fatalf("%s: page lacks %q:\n%s", pg.resp.Request.URL, p, pg.body)
		}
	}
}
