package main

import (
	"context"
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

	"golang.org/x/net/html"
)

// endpoints are the provider's, from its discovery document.
type endpoints struct {
	Authorization string `json:"authorization_endpoint"`
	Token         string `json:"token_endpoint"`
	Introspection string `json:"introspection_endpoint"`
}

// maxBody bounds what is read of any answer.
const maxBody = 1 << 20

func discover(ctx context.Context, c *http.Client, issuer string) (endpoints, error) {
	var ep endpoints
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return ep, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return ep, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ep, fmt.Errorf("discovery: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&ep); err != nil {
		return ep, fmt.Errorf("discovery: %w", err)
	}
	if ep.Authorization == "" || ep.Token == "" {
		return ep, errors.New("discovery: no authorization or token endpoint")
	}
	return ep, nil
}

// tokenResponse is the part of a token endpoint answer the load uses.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
}

// postForm sends form to u with HTTP Basic client authentication and
// decodes a JSON answer into out; any status but 200 is an error naming
// the OAuth error code.
func postForm(ctx context.Context, c *http.Client, u, id, secret string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e tokenResponse
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("status %d %s", resp.StatusCode, e.Error)
	}
	return json.Unmarshal(body, out)
}

// browser is a cookie-keeping HTTP client that follows redirects on the
// provider's host and stops at the first one leaving it (the client's
// redirect URI), as a browser hands the answer to the app.
func newBrowser(base *http.Client, target string) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	t, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	c := *base
	c.Jar = jar
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != t.Host || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &c, nil
}

// pkce is one authorization request's verifier, challenge and state.
type pkce struct{ verifier, challenge, state string }

func newPKCE() pkce {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b[:32])
	sum := sha256.Sum256([]byte(v))
	return pkce{verifier: v, challenge: base64.RawURLEncoding.EncodeToString(sum[:]), state: base64.RawURLEncoding.EncodeToString(b[32:])}
}

func (cfg config) authorizeURL(ep endpoints, p pkce) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {cfg.rpID}, "redirect_uri": {cfg.redirect},
		"scope": {cfg.scope}, "state": {p.state}, "code_challenge": {p.challenge}, "code_challenge_method": {"S256"},
	}
	return ep.Authorization + "?" + q.Encode()
}

// codeFrom reads the code from the redirect to the client, checking the
// state.
func codeFrom(resp *http.Response, cfg config, p pkce) (string, error) {
	loc, err := resp.Location()
	if err != nil {
		return "", fmt.Errorf("no redirect to the client (status %d)", resp.StatusCode)
	}
	if !strings.HasPrefix(loc.String(), cfg.redirect) {
		return "", fmt.Errorf("redirected to %s, not the client", loc.Redacted())
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("authorization error %s", e)
	}
	if q.Get("state") != p.state || q.Get("code") == "" {
		return "", errors.New("redirect without the code or with another state")
	}
	return q.Get("code"), nil
}

// authorize sends an authorization request in browser b, which must hold
// a session: it returns the code the provider redirects with.
func authorize(ctx context.Context, b *http.Client, cfg config, ep endpoints, p pkce) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.authorizeURL(ep, p), nil)
	if err != nil {
		return "", err
	}
	resp, err := b.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	return codeFrom(resp, cfg, p)
}

// signIn signs the member in through the login form (and the consent
// page when shown) in browser b and returns the first code.
func signIn(ctx context.Context, b *http.Client, cfg config, ep endpoints, p pkce) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.authorizeURL(ep, p), nil)
	if err != nil {
		return "", err
	}
	for step := 0; step < 4; step++ {
		resp, err := b.Do(req)
		if err != nil {
			return "", err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			return "", err
		}
		if resp.StatusCode/100 == 3 {
			return codeFrom(resp, cfg, p)
		}
		form, err := pageForm(resp.Request.URL, string(body))
		if err != nil {
			return "", fmt.Errorf("sign-in page (status %d): %w", resp.StatusCode, err)
		}
		switch {
		case form.has("password"):
			form.values.Set("username", cfg.username)
			form.values.Set("password", cfg.password)
		case form.has("consent"):
			form.values.Set("consent", "allow")
		default:
			return "", fmt.Errorf("unexpected page at %s (status %d)", resp.Request.URL.Path, resp.StatusCode)
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, form.action, strings.NewReader(form.values.Encode()))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return "", errors.New("sign-in did not end at the client")
}

// htmlForm is the first POST form of a page: its action and inputs.
type htmlForm struct {
	action string
	values url.Values
	names  map[string]bool
}

func (f htmlForm) has(name string) bool { return f.names[name] }

func pageForm(base *url.URL, body string) (htmlForm, error) {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return htmlForm{}, err
	}
	var form *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if form != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" && strings.EqualFold(attr(n, "method"), "post") {
			form = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if form == nil {
		return htmlForm{}, errors.New("no form on the page")
	}
	action, err := base.Parse(attr(form, "action"))
	if err != nil {
		return htmlForm{}, err
	}
	f := htmlForm{action: action.String(), values: url.Values{}, names: map[string]bool{}}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "input" || n.Data == "button") {
			name := attr(n, "name")
			f.names[name] = true
			if attr(n, "type") == "hidden" {
				f.values.Set(name, attr(n, "value"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return f, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
