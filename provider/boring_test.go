//go:build goexperiment.boringcrypto

package provider_test

import (
	"context"
	"crypto/boring"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2/clientcredentials"
)

// TestBoringCrypto: the release build (GOEXPERIMENT=boringcrypto) signs
// with BoringSSL, and what it signs verifies: an access token through the
// JWKS, and an ID token through go-oidc after a real sign-in.
func TestBoringCrypto(t *testing.T) {
	if !boring.Enabled() {
		t.Fatal("built with GOEXPERIMENT=boringcrypto but crypto/boring is not enabled")
	}
	e := newEnv(t, openSQLite(t))
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: e.issuer + "/oauth2/token", Scopes: []string{"api:read"}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	keys := oidc.NewRemoteKeySet(context.Background(), e.issuer+"/.well-known/jwks.json")
	if _, err := keys.VerifySignature(context.Background(), tok.AccessToken); err != nil {
		t.Fatalf("access token does not verify through the JWKS: %v", err)
	}
	_, claims := e.webRP("openid").signInAs(e.browser(), "alice", alicePass)
	if claims["sub"] == nil {
		t.Fatalf("ID token without sub: %v", claims)
	}
}
