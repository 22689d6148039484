package provider_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idp/idp/storage"
)

// TestSecurityUserinfoRefusesQueryToken: "Userinfo refuses the access
// token in the query string" (RFC 6750 §2.3: it ends up in logs, history
// and Referer headers). GET and POST with ?access_token= get 400
// invalid_request with a Bearer challenge and no claims; the header and
// the form body keep working.
func TestSecurityUserinfoRefusesQueryToken(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		tok, _ := e.signedIn(e.webRP(), e.browser())
		query := e.issuer + "/oauth2/userinfo?access_token=" + url.QueryEscape(tok.AccessToken)

		for _, method := range []string{http.MethodGet, http.MethodPost} {
			req, _ := http.NewRequest(method, query, nil)
			resp := must(testClient.Do(req))
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			challenge := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(challenge, "Bearer ") ||
				!strings.Contains(challenge, `error="invalid_request"`) {
				t.Errorf("%s with the token in the query: status %d, challenge %q", method, resp.StatusCode, challenge)
			}
			if strings.Contains(string(body), aliceEmail) {
				t.Errorf("%s with the token in the query released claims: %s", method, body)
			}
		}

		if ui := e.userinfoClaims(tok.AccessToken); ui["email"] != aliceEmail {
			t.Errorf("Authorization header: %v", ui)
		}
		resp, out := e.postForm("/oauth2/userinfo", url.Values{"access_token": {tok.AccessToken}}, "", "")
		if resp.StatusCode != http.StatusOK || out["email"] != aliceEmail {
			t.Errorf("form body: %d %v", resp.StatusCode, out)
		}
	})
}
