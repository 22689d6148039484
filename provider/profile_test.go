package provider_test

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestProfileClaims: a go-oidc client granted profile, phone and address
// gets in the ID token and at userinfo exactly the standard claims the
// member has a value for, with their values; empty ones are absent.
func TestProfileClaims(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.setClientScopes("web", "openid", "profile", "email", "phone", "address", "roles", "offline_access")
		e.setProfile(aliceEmail, aliceProfile())
		// bob has a partial profile: no phone, no address, no picture.
		e.setProfile("bob@example.com", idp.Profile{GivenName: "Bob", Locale: "fr-CA", Birthdate: "0000-12-24"})
		r := e.webRP("openid", "profile", "phone", "address")

		a := newAuthRequest()
		tok, err := r.exchange(e.code(e.browser().signIn(r.authURL(a), "alice", alicePass), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		_, idClaims := r.idToken(tok, a.nonce)
		want := "address birthdate family_name gender given_name locale middle_name nickname phone_number phone_number_verified picture website zoneinfo"
		for where, c := range map[string]map[string]any{"ID token": idClaims, "userinfo": e.userinfoClaims(tok.AccessToken)} {
			if got := strings.Join(presentClaims(c, profileClaimNames), " "); got != want {
				t.Errorf("%s carries %q, want %q", where, got, want)
			}
			if c["phone_number"] != "+33123456789" || c["phone_number_verified"] != true || c["birthdate"] != "1990-02-28" ||
				c["locale"] != "en-GB" || c["picture"] != "https://example.com/alice.png" || c["name"] != "Alice Example" {
				t.Errorf("%s values: %v", where, c)
			}
			addr, _ := c["address"].(map[string]any)
			if addr["locality"] != "Paris" || addr["formatted"] != "1 Rue X\n75001 Paris" || addr["country"] != "FR" {
				t.Errorf("%s address = %v, want the structured object", where, c["address"])
			}
			if _, ok := addr["region"]; ok {
				t.Errorf("%s address carries an empty region: %v", where, addr)
			}
			for _, n := range []string{"email", "roles"} {
				if _, ok := c[n]; ok {
					t.Errorf("%s carries %s, whose scope was not asked for", where, n)
				}
			}
		}

		a = newAuthRequest()
		tok, err = r.exchange(e.code(e.browser().signIn(r.authURL(a), "bob", bobPass), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		_, idClaims = r.idToken(tok, a.nonce)
		for where, c := range map[string]map[string]any{"ID token": idClaims, "userinfo": e.userinfoClaims(tok.AccessToken)} {
			if got := strings.Join(presentClaims(c, profileClaimNames), " "); got != "birthdate given_name locale" {
				t.Errorf("%s of a partial profile carries %q, want only the claims with values", where, got)
			}
			if c["birthdate"] != "0000-12-24" || c["locale"] != "fr-CA" {
				t.Errorf("%s values: %v", where, c)
			}
		}
	})
}

// TestProfileClaimsParameterAddsPhone: a claims request naming
// phone_number adds the phone scope (the client is registered for it),
// the consent page lists it as asked for by name, and the number is
// released.
func TestProfileClaimsParameterAddsPhone(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.setClientScopes("web", "openid", "profile", "email", "phone", "address", "offline_access")
		e.setProfile(aliceEmail, aliceProfile())
		r := e.webRP("openid")
		a := newAuthRequest(oauth2.SetAuthURLParam("claims", `{"userinfo":{"phone_number":null}}`))
		b := e.browser()
		pg := b.submit(b.get(r.authURL(a)), url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("want the consent page, got %d", pg.resp.StatusCode)
		}
		if got := consentAddedScopes(pg); strings.Join(got, " ") != "phone" {
			t.Errorf("consent page marks %q as asked for by name, want phone", got)
		}
		if !strings.Contains(pg.body, "see your phone number") {
			t.Errorf("consent page does not explain the phone scope: %s", pg.body)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		tok, err := r.exchange(e.code(pg.redirect(t), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if got := tok.Extra("scope"); got != "openid phone" {
			t.Errorf("granted scope %q, want openid phone", got)
		}
		ui := e.userinfoClaims(tok.AccessToken)
		if got := strings.Join(presentClaims(ui, profileClaimNames), " "); got != "phone_number phone_number_verified" {
			t.Errorf("userinfo carries %q, want the phone claims", got)
		}
	})
}
