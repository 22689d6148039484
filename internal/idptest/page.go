package idptest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Page is a fetched response with its body read and, when it is HTML,
// parsed (Doc is nil otherwise).
type Page struct {
	Resp *http.Response
	Body string
	Doc  *html.Node
}

func newPage(resp *http.Response, body string) *Page {
	pg := &Page{Resp: resp, Body: body}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		pg.Doc, _ = html.Parse(strings.NewReader(body)) // html.Parse accepts any input
	}
	return pg
}

// URL is where the page was fetched from, after the redirects followed.
func (pg *Page) URL() string { return pg.Resp.Request.URL.String() }

// IsLogin reports whether the page is the provider's login form.
func (pg *Page) IsLogin() bool { return pg.Doc != nil && strings.Contains(pg.Body, `name="password"`) }

// IsConsent reports whether the page is the provider's consent form.
func (pg *Page) IsConsent() bool { return pg.Doc != nil && strings.Contains(pg.Body, `name="consent"`) }

// Redirect returns the Location a redirect sends the browser to, and fails
// the test when the response is not a redirect.
func (pg *Page) Redirect(t testing.TB) *url.URL {
	t.Helper()
	if pg.Resp.StatusCode < 300 || pg.Resp.StatusCode > 399 {
		t.Fatalf("want a redirect to the client, got status %d: %s", pg.Resp.StatusCode, pg.Body)
	}
	u, err := url.Parse(pg.Resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Hidden returns the value of the hidden input name (a CSRF token) in the
// page's forms, and fails the test when there is none.
func (pg *Page) Hidden(t testing.TB, name string) string {
	t.Helper()
	if v := HiddenFields(pg.Doc).Get(name); v != "" {
		return v
	}
	t.Fatalf("no hidden %s field on %s (status %d):\n%s", name, pg.URL(), pg.Resp.StatusCode, pg.Body)
	return ""
}

// MustContain reports, without stopping the test, each part the body
// lacks.
func (pg *Page) MustContain(t testing.TB, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(pg.Body, s) {
			t.Errorf("page %s (status %d) lacks %q:\n%s", pg.URL(), pg.Resp.StatusCode, s, pg.Body)
		}
	}
}

// Input is a form's input or button.
type Input struct{ Name, Type, Value string }

// FindForm returns the first form under n, or nil.
func FindForm(n *html.Node) *html.Node {
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode && n.Data == "form" {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := FindForm(c); f != nil {
			return f
		}
	}
	return nil
}

// FormInputs returns the inputs and buttons under n, in document order.
func FormInputs(n *html.Node) []Input {
	var out []Input
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "input" || n.Data == "button") {
			out = append(out, Input{Name: Attr(n, "name"), Type: Attr(n, "type"), Value: Attr(n, "value")})
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	if n != nil {
		walk(n)
	}
	return out
}

// HiddenFields returns the names and values of the hidden inputs under n
// (a form): what a browser posts back unseen, the CSRF token among them.
func HiddenFields(n *html.Node) url.Values {
	vals := url.Values{}
	for _, in := range FormInputs(n) {
		if in.Type == "hidden" {
			vals.Set(in.Name, in.Value)
		}
	}
	return vals
}

// Attr returns n's attribute key, or "".
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
