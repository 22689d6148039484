package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/idp/idp"
	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/storage"
)

// TestPasskeyChromium: in real Chromium with a virtual authenticator
// (CTAP2, internal, resident keys, user verification), a member registers
// a passkey on the account page through passkey.js, signs out, and signs
// in to an OpenID Connect client with the passkey and no password; the
// ID token verifies with go-oidc and the session's methods are hwk and
// user.
func TestPasskeyChromium(t *testing.T) {
	exe := chromium(t)
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newPasskeyEnv(t, open(t))
		callbacks := make(chan *url.URL, 1)
		app := idptest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case callbacks <- r.URL:
			default:
			}
			_, _ = w.Write([]byte("signed in"))
		}))
		redirect := app.URL + "/callback"
		e.addClient(idp.Client{ID: "pkapp", Name: "Passkey App", RedirectURIs: []string{redirect}, SkipConsent: true,
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"}}, webSecret)

		ctx := launchHeadless(t, exe)
		step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		waitJS := func(name, js string) {
			t.Helper()
			for {
				ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
				if err == nil && ok {
					return
				}
				select {
				case <-ctx.Done():
					loc, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Location())
					t.Fatalf("%s: never true at %s: %s", name, loc, js)
				case <-time.After(50 * time.Millisecond):
				}
			}
		}

		step("account page", chromedp.Navigate(e.issuer+"/account/passkeys"),
			chromedp.WaitVisible(chromedp.CSS("#username")),
			chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
			chromedp.SendKeys(chromedp.CSS("#password"), alicePass),
			chromedp.Click(chromedp.CSS("#submit")),
			chromedp.WaitVisible(chromedp.CSS("#add-passkey")))
		if _, err := chromedp.Call(ctx, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		auth, err := chromedp.Call(ctx, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
			Options: &cdpwebauthn.VirtualAuthenticatorOptions{Protocol: cdpwebauthn.AuthenticatorProtocolCtap2,
				Transport: cdpwebauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true}})
		if err != nil {
			t.Fatal(err)
		}
		step("add passkey", chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Chromium key"),
			chromedp.Click(chromedp.CSS("#add")))
		waitJS("passkey listed", `[...document.querySelectorAll("td")].some(td => td.textContent === "Chromium key")`)
		creds, err := chromedp.Call(ctx, cdpwebauthn.GetCredentials, cdpwebauthn.GetCredentialsParams{AuthenticatorID: auth.AuthenticatorID})
		if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
			t.Fatalf("authenticator credentials = %+v, %v; want one resident credential", creds, err)
		}

		// Signed out: the browser forgets the provider's session.
		if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, struct{}{}); err != nil {
			t.Fatal(err)
		}
		r := e.rp("pkapp", webSecret, redirect, "openid", "profile")
		a := newAuthRequest()
		step("login page", chromedp.Navigate(r.authURL(a)), chromedp.WaitVisible(chromedp.CSS("#passkey")),
			chromedp.Click(chromedp.CSS("#passkey")))
		var cb *url.URL
		select {
		case cb = <-callbacks:
		case <-ctx.Done():
			loc, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Location())
			t.Fatalf("no callback; browser at %s", loc)
		}
		tok, claims := r.redeem(cb, a)
		alice := memberID(t, e, "alice")
		if claims["sub"] != alice || tok.AccessToken == "" {
			t.Fatalf("ID token sub = %v, want alice %s", claims["sub"], alice)
		}
		s, err := e.store.Sessions.ByID(context.Background(), claims["sid"].(string))
		if err != nil {
			t.Fatal(err)
		}
		// A passkey with user verification is two factors (the key and
		// the PIN or biometric): mfa, and no pwd.
		want := []string{idp.AMRUser, idp.AMRHardwareKey, idp.AMRMFA}
		if !slices.Equal(s.AMR, want) {
			t.Errorf("session amr = %q, want %q", s.AMR, want)
		}
		got, _ := json.Marshal(claims["amr"])
		if w, _ := json.Marshal(want); string(got) != string(w) || claims["acr"] != idp.ACRMFA {
			t.Errorf("ID token amr = %s acr = %v, want %s and %s", got, claims["acr"], w, idp.ACRMFA)
		}
	})
}

// chromium finds Chromium, or skips (fails with IDP_TEST_REQUIRE_BROWSER=1).
func chromium(t *testing.T) string {
	t.Helper()
	required := os.Getenv("IDP_TEST_REQUIRE_BROWSER") == "1"
	if testing.Short() && !required {
		t.Skip("browser test skipped in -short mode")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if required {
		t.Fatal("no Chromium in PATH, and IDP_TEST_REQUIRE_BROWSER=1")
	}
	t.Skip("no Chromium in PATH")
	return ""
}

// launchHeadless starts a headless Chromium for the test and returns a
// tab's context with a one-minute deadline.
func launchHeadless(t *testing.T, exe string) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true), chromedp.Flag("password-store", "basic"))
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	watchdog := time.AfterFunc(30*time.Second, cancelAlloc)
	err := chromedp.Do(tab)
	watchdog.Stop()
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	t.Cleanup(cancel)
	return ctx
}
