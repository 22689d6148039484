package provider_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// The token benchmarks drive the provider's real HTTP handler, in process,
// on a real store, in parallel on every core. BenchmarkRS256Sign is the
// bare signature beside them: a token request should cost little more.
// Read the ratio off one run:
//
//	go test ./provider -run '^$' -bench . -benchtime 3s
//
// Every benchmark keeps inFlight requests per core under way, as a loaded
// server does: a request waiting for the database then leaves its core to
// another. The bare signature is pure CPU and runs the same way.
const inFlight = 4

// BenchmarkRS256Sign is one RS256 signature with a key of the provider's
// size, the floor under every token request.
func BenchmarkRS256Sign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9"))
	b.ReportAllocs()
	b.SetParallelism(inFlight)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchStores(b *testing.B, fn func(b *testing.B, open func(testing.TB) *storage.Store)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storagetest.SQLite) })
	b.Run("postgres", func(b *testing.B) { fn(b, storagetest.Postgres) })
}

// tokenRequest posts a form to the token endpoint through the handler.
func (e *env) tokenRequest(b testing.TB, form url.Values, user, pass string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, e.issuer+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rec := httptest.NewRecorder()
	e.prov.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("token request: %d %s", rec.Code, rec.Body)
	}
	return rec
}

func BenchmarkClientCredentials(b *testing.B) {
	benchStores(b, func(b *testing.B, open func(testing.TB) *storage.Store) {
		e := newEnv(b, open(b))
		benchClientCredentials(b, e, "svc")
	})
}

// BenchmarkClientCredentialsByAlg measures the client credentials rate
// with access tokens signed RS256, ES256 and EdDSA, in one run on each
// store, so the ratios compare like with like.
func BenchmarkClientCredentialsByAlg(b *testing.B) {
	benchStores(b, func(b *testing.B, open func(testing.TB) *storage.Store) {
		e := newEnv(b, open(b))
		for _, alg := range keys.Algorithms {
			e.addClient(idp.Client{
				ID: "svc-" + alg, Name: "Service " + alg, GrantTypes: []string{"client_credentials"},
				Scopes: []string{"api:read"}, Audience: []string{"https://api.example.com"},
				AccessTokenSignedResponseAlg: alg,
			}, svcSecret)
			b.Run(alg, func(b *testing.B) { benchClientCredentials(b, e, "svc-"+alg) })
		}
	})
}

func benchClientCredentials(b *testing.B, e *env, client string) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	e.tokenRequest(b, form, client, svcSecret) // the secret's KDF runs once, as in production
	b.ReportAllocs()
	b.SetParallelism(inFlight)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.tokenRequest(b, form, client, svcSecret)
		}
	})
}

// BenchmarkCodeExchange redeems codes minted beforehand (through the real
// authorization endpoint, outside the timer).
func BenchmarkCodeExchange(b *testing.B) {
	benchStores(b, func(b *testing.B, open func(testing.TB) *storage.Store) {
		e := newEnv(b, open(b))
		br := e.browser()
		r := e.rp("web2", webSecret, "http://rp2.localhost/callback", "openid", "profile", "offline_access")
		a := newAuthRequest()
		br.signIn(r.authURL(a), "alice", alicePass) // session cookie; web2 skips consent
		codes := make([]string, b.N)
		for i := range codes {
			codes[i] = e.code(br.get(r.authURL(a)).redirect(b), a)
		}
		e.tokenRequest(b, url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret)
		var next atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(inFlight)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				code := codes[next.Add(1)-1]
				e.tokenRequest(b, url.Values{
					"grant_type": {"authorization_code"}, "code": {code},
					"redirect_uri": {"http://rp2.localhost/callback"}, "code_verifier": {a.verifier},
				}, "web2", webSecret)
			}
		})
	})
}

// BenchmarkRefresh rotates refresh tokens: each goroutine follows its own
// chain, presenting the token the previous refresh returned.
func BenchmarkRefresh(b *testing.B) {
	benchStores(b, func(b *testing.B, open func(testing.TB) *storage.Store) {
		e := newEnv(b, open(b))
		br := e.browser()
		r := e.rp("web2", webSecret, "http://rp2.localhost/callback", "openid", "offline_access")
		a := newAuthRequest()
		br.signIn(r.authURL(a), "alice", alicePass)
		starts := make(chan string, 64)
		for range cap(starts) {
			tok, err := r.exchange(e.code(br.get(r.authURL(a)).redirect(b), a), a)
			if err != nil {
				b.Fatal(err)
			}
			starts <- tok.RefreshToken
		}
		b.ReportAllocs()
		b.SetParallelism(inFlight)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			rt := <-starts
			for pb.Next() {
				rec := e.tokenRequest(b, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "web2", webSecret)
				rt = jsonField(b, rec.Body.Bytes(), "refresh_token")
			}
		})
	})
}
