package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// aliceProfile is a profile with every standard claim set.
func aliceProfile() idp.Profile {
	return idp.Profile{
		GivenName: "Alice", FamilyName: "Example", MiddleName: "Q", Nickname: "Al",
		Picture: "https://example.com/alice.png", Website: "https://alice.example.com/",
		Gender: "female", Birthdate: "1990-02-28", Zoneinfo: "Europe/Paris", Locale: "en-GB",
		PhoneNumber: "+33123456789", PhoneNumberVerified: true,
		Address: &idp.Address{Formatted: "1 Rue X\n75001 Paris", StreetAddress: "1 Rue X", Locality: "Paris",
			PostalCode: "75001", Country: "FR"},
	}
}

// setProfile stores p as the profile of the member with email.
func (e *env) setProfile(email string, p idp.Profile) {
	e.t.Helper()
	ctx := context.Background()
	m := must(e.store.Members.ByEmail(ctx, email))
	m.Profile = p
	if err := e.store.Members.Update(ctx, m); err != nil {
		e.t.Fatal(err)
	}
}

// setClientScopes replaces the scopes a client is registered for.
func (e *env) setClientScopes(id string, scopes ...string) {
	e.t.Helper()
	ctx := context.Background()
	c := must(e.store.Clients.ByID(ctx, id))
	c.Scopes = scopes
	if err := e.store.Clients.Update(ctx, c); err != nil {
		e.t.Fatal(err)
	}
}

// profileClaimNames are the claims of the profile, phone and address scopes
// beyond name, preferred_username and updated_at.
var profileClaimNames = []string{"given_name", "family_name", "middle_name", "nickname", "picture", "website",
	"gender", "birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified", "address"}

// presentClaims lists which of names a claim set carries, sorted.
func presentClaims(claims map[string]any, names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := claims[n]; ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// TestSecurityProfilePhoneNeedsRegisteredScope: "A claim is released only
// when its scope is allowed for the client." A client registered for
// openid and profile asks for phone and address in scope and for
// phone_number and address by name in the claims parameter; the consent
// page lists neither scope, and neither the ID token nor userinfo carries
// the phone number or the address, while the profile claims it may have
// arrive.
func TestSecurityProfilePhoneNeedsRegisteredScope(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.setProfile(aliceEmail, aliceProfile())
		const redirect = "http://nophone.localhost/callback"
		e.addClient(idp.Client{
			ID: "nophone", Name: "No Phone", RedirectURIs: []string{redirect},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"},
		}, webSecret)
		r := e.rp("nophone", webSecret, redirect, "openid", "profile")
		ask := `{"id_token":{"phone_number":null,"address":null},"userinfo":{"phone_number":{"essential":true},"address":null}}`
		a := newAuthRequest(oauth2.SetAuthURLParam("claims", ask))
		b := e.browser()
		pg := b.get(r.authURL(a))
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isConsent() {
			t.Fatalf("want the consent page, got %d: %s", pg.resp.StatusCode, pg.body)
		}
		if got := consentScopes(pg); strings.Join(got, " ") != "openid profile" {
			t.Errorf("consent page lists %q, want openid profile", got)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		tok, err := r.exchange(e.code(pg.redirect(t), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		_, idClaims := r.idToken(tok, a.nonce)
		for where, c := range map[string]map[string]any{"ID token": idClaims, "userinfo": e.userinfoClaims(tok.AccessToken)} {
			for _, n := range []string{"phone_number", "phone_number_verified", "address"} {
				if _, ok := c[n]; ok {
					t.Errorf("%s released %s to a client not registered for its scope", where, n)
				}
			}
			if c["given_name"] != "Alice" || c["zoneinfo"] != "Europe/Paris" {
				t.Errorf("%s lacks the profile claims the client may have: %v", where, c)
			}
		}

		// Scope phone asked for outright by the same client is refused
		// or dropped, never granted.
		a = newAuthRequest()
		r = e.rp("nophone", webSecret, redirect, "openid", "phone")
		got := e.browser().responseParams(r.authURL(a))
		if got.Get("code") != "" {
			tok, err := r.exchange(got.Get("code"), a)
			if err == nil && slices.Contains(strings.Fields(tok.Extra("scope").(string)), "phone") {
				t.Errorf("client not registered for phone was granted it: %v", tok.Extra("scope"))
			}
		}
	})
}

// TestSecurityProfileScopeWithdrawn: taking the address scope away from a
// client stops userinfo releasing the address for a token granted before.
func TestSecurityProfileScopeWithdrawn(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		var ahead atomic.Int64 // how far the provider's clock runs ahead
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
		})
		e.setProfile(aliceEmail, aliceProfile())
		e.setClientScopes("web2", "openid", "profile", "address", "phone")
		r := e.rp("web2", webSecret, web2Redirect, "openid", "address", "phone")
		a := newAuthRequest()
		tok, err := r.exchange(e.code(e.browser().signIn(r.authURL(a), "alice", alicePass), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if got := presentClaims(e.userinfoClaims(tok.AccessToken), profileClaimNames); strings.Join(got, " ") != "address phone_number phone_number_verified" {
			t.Fatalf("userinfo before the change: %v", got)
		}
		e.setClientScopes("web2", "openid", "profile", "phone")
		ahead.Store(int64(time.Minute)) // past the client cache
		if got := presentClaims(e.userinfoClaims(tok.AccessToken), profileClaimNames); strings.Join(got, " ") != "phone_number phone_number_verified" {
			t.Errorf("userinfo after address was withdrawn: %v, want only the phone claims", got)
		}
	})
}

// TestSecurityAccountProfileForgery: "Every form carries a CSRF token;
// only administrators verify a phone number." A forged POST without the
// session's token changes nothing; a member who adds phone_number_verified,
// role or email to the form changes none of them; a number an
// administrator verified stays verified only while it is unchanged.
func TestSecurityAccountProfileForgery(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b, pg := openProfile(t, e, "bob", bobPass)
		before := must(e.store.Members.ByEmail(t.Context(), "bob@example.com"))

		forged := formValues(pg, url.Values{"given_name": {"Mallory"}})
		forged.Del("csrf_token")
		if got := b.do(postForm(t, pg, forged)); got.resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST without a CSRF token: %d, want 403", got.resp.StatusCode)
		}
		forged.Set("csrf_token", "not-the-token")
		if got := b.do(postForm(t, pg, forged)); got.resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST with a wrong CSRF token: %d, want 403", got.resp.StatusCode)
		}
		if after := must(e.store.Members.ByEmail(t.Context(), "bob@example.com")); !sameStoredProfile(after, before) {
			t.Fatalf("a forged POST changed the member: %+v", after.Profile)
		}

		elevate := formValues(pg, url.Values{"phone_number": {"+15550199"}, "phone_number_verified": {"true"},
			"role": {"admin"}, "email": {"mallory@example.com"}})
		if got := b.do(postForm(t, pg, elevate)); got.resp.StatusCode != http.StatusOK {
			t.Fatalf("save: %d %s", got.resp.StatusCode, got.body)
		}
		m := must(e.store.Members.ByID(t.Context(), before.ID))
		if m.Profile.PhoneNumber != "+15550199" || m.Profile.PhoneNumberVerified || m.Role != idp.RoleMember || m.Email != "bob@example.com" {
			t.Fatalf("the member set what only administrators may: %+v", m)
		}

		// An administrator verifies the number.
		m.Profile.PhoneNumberVerified = true
		if err := e.store.Members.Update(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		pg = b.get(e.issuer + "/account/profile")
		b.do(postForm(t, pg, formValues(pg, url.Values{"nickname": {"Bobby"}})))
		if m = must(e.store.Members.ByID(t.Context(), before.ID)); !m.Profile.PhoneNumberVerified || m.Profile.Nickname != "Bobby" {
			t.Fatalf("an edit that kept the number lost its verification: %+v", m.Profile)
		}
		pg = b.get(e.issuer + "/account/profile")
		b.do(postForm(t, pg, formValues(pg, url.Values{"phone_number": {"+15550100"}})))
		if m = must(e.store.Members.ByID(t.Context(), before.ID)); m.Profile.PhoneNumberVerified || m.Profile.PhoneNumber != "+15550100" {
			t.Fatalf("a changed number kept the old number's verification: %+v", m.Profile)
		}
	})
}
