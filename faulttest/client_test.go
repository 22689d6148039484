//go:build faults

package faulttest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// requestDeadline is how long a client waits for any answer. The provider
// must answer well within it, even while its database is gone.
const requestDeadline = 20 * time.Second

var httpClient = &http.Client{Timeout: requestDeadline}

// result is one answered (or failed) request.
type result struct {
	status int
	body   map[string]any
	raw    string
	err    error // transport error: connection refused, timeout
	took   time.Duration
}

func (r result) String() string {
	if r.err != nil {
		return fmt.Sprintf("error after %v: %v", r.took, r.err)
	}
	return fmt.Sprintf("%d after %v: %.600s", r.status, r.took, r.raw)
}

// postForm posts form to base+path with HTTP basic client authentication.
func postForm(base, path string, form url.Values, user, pass string) result {
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	start := time.Now()
	resp, err := httpClient.Do(req)
	r := result{err: err}
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r.status, r.raw = resp.StatusCode, string(b)
		_ = json.Unmarshal(b, &r.body)
	}
	r.took = time.Since(start)
	return r
}

func refresh(base, rt string) result {
	return postForm(base, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "web", webSecret)
}

func exchange(base, code, verifier string) result {
	return postForm(base, "/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}}, "web", webSecret)
}

func clientCredentials(base string) result {
	return postForm(base, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api.read"}}, "svc", svcSecret)
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// login is a sign-in in progress: the browser's cookies and the login
// form it was shown.
type login struct {
	client   *http.Client
	verifier string
	action   string
	fields   url.Values
}

// startLogin opens an authorization request in a fresh browser and stops
// at the login form.
func startLogin(base string) (*login, error) {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(base, "http://")
	c := &http.Client{Jar: jar, Timeout: requestDeadline, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	l := &login{client: c, verifier: random() + random()} // RFC 7636: 43 to 128 characters
	sum := sha256.Sum256([]byte(l.verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {redirectURI},
		"scope": {"openid offline_access"}, "state": {random()}, "nonce": {random()},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	resp, err := c.Get(base + "/oauth2/authorize?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("authorize: status %d: %.200s", resp.StatusCode, b)
	}
	doc, err := html.Parse(resp.Body)
	if err != nil {
		return nil, err
	}
	form := find(doc, "form")
	if form == nil {
		return nil, errors.New("authorize: no login form")
	}
	action, _ := resp.Request.URL.Parse(attr(form, "action"))
	l.action, l.fields = action.String(), url.Values{}
	walk(form, func(n *html.Node) {
		if n.Data == "input" && attr(n, "type") == "hidden" {
			l.fields.Set(attr(n, "name"), attr(n, "value"))
		}
	})
	return l, nil
}

// finish submits the login form and returns the authorization code the
// provider redirects to the client with. status is the provider's answer
// when it did not redirect.
func (l *login) finish() (code string, status int, err error) {
	form := url.Values{"username": {"alice"}, "password": {alicePass}}
	for k, v := range l.fields {
		form[k] = v
	}
	resp, err := l.client.PostForm(l.action, form)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		b, _ := io.ReadAll(resp.Body)
		return "", resp.StatusCode, fmt.Errorf("login: status %d: %.200s", resp.StatusCode, b)
	}
	if c := loc.Query().Get("code"); c != "" {
		return c, resp.StatusCode, nil
	}
	return "", resp.StatusCode, fmt.Errorf("login: redirected without a code: %s", loc.Query().Get("error"))
}

func find(n *html.Node, tag string) *html.Node {
	if n.Type == html.ElementNode && n.Data == tag {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, tag); f != nil {
			return f
		}
	}
	return nil
}

func walk(n *html.Node, fn func(*html.Node)) {
	if n.Type == html.ElementNode {
		fn(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
