package idptest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// HTTP is a cookie-less client for back-channel calls (token,
// introspection, registration), bounded by RequestTimeout.
var HTTP = &http.Client{Timeout: RequestTimeout}

// PostForm posts form to u, with HTTP Basic client authentication when user
// is set (both parts form-encoded first, RFC 6749 §2.3.1), and returns the
// answer with its body read.
func PostForm(t testing.TB, u string, form url.Values, user, pass string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := HTTP.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read body: %v", u, err)
	}
	return resp, body
}

// JSONObject decodes body as a JSON object; an empty body is nil. what
// names the request in the failure.
func JSONObject(t testing.TB, what string, status int, body []byte) map[string]any {
	t.Helper()
	if len(body) == 0 {
		return nil
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%s: status %d, not JSON: %s", what, status, body)
	}
	return out
}

// WriteJSON answers v as JSON, for fake servers.
func WriteJSON(t testing.TB, w http.ResponseWriter, status int, v any) {
	t.Helper()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		t.Error(err)
	}
}

// JWTParts decodes a JWT's header and claims without verifying them.
func JWTParts(t testing.TB, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
	}
	return header, claims
}
