package idptest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// RequestTimeout turns a hung request into a failure naming it, rather
// than a stuck test binary.
const RequestTimeout = 30 * time.Second

// Browser is a cookie-keeping HTTP client. Built with a home URL it
// follows redirects within home's host and stops at the first one leaving
// it, like a browser handing the authorization response to the app; built
// with "" it follows every redirect, like a user clicking through an app.
type Browser struct {
	T      testing.TB
	Client *http.Client
}

// NewBrowser returns a browser with an empty cookie jar.
func NewBrowser(t testing.TB, home string) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: RequestTimeout}
	if home != "" {
		u, err := url.Parse(home)
		if err != nil {
			t.Fatalf("browser home %q: %v", home, err)
		}
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != u.Host {
				return http.ErrUseLastResponse
			}
			return nil
		}
	}
	return &Browser{T: t, Client: c}
}

// Do sends req and returns the response with its body read and, for HTML,
// parsed.
func (b *Browser) Do(req *http.Request) *Page {
	b.T.Helper()
	resp, err := b.Client.Do(req)
	if err != nil {
		b.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.T.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return newPage(resp, string(body))
}

// Get fetches u.
func (b *Browser) Get(u string) *Page {
	b.T.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.T.Fatal(err)
	}
	return b.Do(req)
}

// Post sends form to u as application/x-www-form-urlencoded.
func (b *Browser) Post(u string, form url.Values) *Page {
	b.T.Helper()
	return b.send(http.MethodPost, u, form)
}

func (b *Browser) send(method, u string, form url.Values) *Page {
	b.T.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

// Submit sends the page's first form with its hidden inputs (the CSRF
// token among them), the given fields and, if buttonName is not empty,
// that submit button with buttonValue.
func (b *Browser) Submit(pg *Page, fields url.Values, buttonName, buttonValue string) *Page {
	b.T.Helper()
	form := FindForm(pg.Doc)
	if form == nil {
		b.T.Fatalf("no form on page (status %d): %s", pg.Resp.StatusCode, pg.Body)
	}
	vals := HiddenFields(form)
	for k, v := range fields {
		vals[k] = v
	}
	if buttonName != "" {
		vals.Set(buttonName, buttonValue)
	}
	action, err := pg.Resp.Request.URL.Parse(Attr(form, "action"))
	if err != nil {
		b.T.Fatalf("form action: %v", err)
	}
	return b.send(strings.ToUpper(Attr(form, "method")), action.String(), vals)
}

// SignIn drives an authorization request through the login page (when
// shown) and the consent page (allowing, when shown), and returns the URL
// the provider finally redirects to: the client's redirect URI with the
// code and state, or an error. The browser must have the provider as home.
func (b *Browser) SignIn(authURL, user, pass string) *url.URL {
	b.T.Helper()
	pg := b.Get(authURL)
	if pg.IsLogin() {
		pg = b.Submit(pg, url.Values{"username": {user}, "password": {pass}}, "", "")
	}
	if pg.IsConsent() {
		pg = b.Submit(pg, nil, "consent", "allow")
	}
	return pg.Redirect(b.T)
}
