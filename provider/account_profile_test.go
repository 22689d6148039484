package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// formValues is what a browser posts from the page's form: every named
// input and textarea with its current value, changes applied.
func formValues(pg *page, changes url.Values) url.Values {
	vals := url.Values{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "input" && attr(n, "name") != "":
				vals.Set(attr(n, "name"), attr(n, "value"))
			case n.Data == "textarea":
				text := ""
				if n.FirstChild != nil {
					text = n.FirstChild.Data
				}
				// HTML drops one leading newline of a textarea.
				vals.Set(attr(n, "name"), strings.TrimPrefix(text, "\n"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(findForm(pg.doc))
	for k, v := range changes {
		vals[k] = v
	}
	return vals
}

// openProfile signs in as user through /account/profile and returns the
// profile page.
func openProfile(t *testing.T, e *env, user, pass string) (*browser, *page) {
	t.Helper()
	b := e.browser()
	pg := b.get(e.issuer + "/account/profile")
	if !pg.isLogin() {
		t.Fatalf("/account/profile without a session: want the login page, got %d", pg.resp.StatusCode)
	}
	pg = b.submit(pg, url.Values{"username": {user}, "password": {pass}}, "", "")
	if pg.resp.StatusCode != http.StatusOK || pg.resp.Request.URL.Path != "/account/profile" {
		t.Fatalf("after sign-in: want /account/profile, got %d %s", pg.resp.StatusCode, pg.resp.Request.URL)
	}
	return b, pg
}

// TestAccountProfile: a member edits their own name and standard claims
// on /account/profile; the values are stored (locale canonical, address
// structured), shown again, audited with the member as actor, and
// released to apps. Refused values come back on the form, each named,
// with nothing stored.
func TestAccountProfile(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b, pg := openProfile(t, e, "bob", bobPass)
		if !strings.Contains(pg.body, `href="/account/profile" aria-current="page"`) {
			t.Errorf("the account navigation does not mark the profile page: %s", pg.body)
		}
		for _, id := range []string{"given_name", "birthdate", "zoneinfo", "locale", "phone_number", "address_locality", "address_formatted"} {
			if !strings.Contains(pg.body, `<label for="`+id+`"`) {
				t.Errorf("input %s has no label", id)
			}
		}
		changes := url.Values{
			"name": {"Robert Example"}, "given_name": {"Robert"}, "family_name": {"Example"}, "nickname": {"Bob"},
			"website": {"https://bob.example.com/"}, "birthdate": {"1985"}, "zoneinfo": {"America/Chicago"},
			"locale": {"EN_us"}, "phone_number": {"+15550123"},
			"address_street_address": {"1 Main St\r\nApt 2"}, "address_locality": {"Springfield"}, "address_country": {"US"},
		}
		saved := b.do(postForm(t, pg, formValues(pg, changes)))
		if saved.resp.StatusCode != http.StatusOK || saved.resp.Request.URL.RawQuery != "saved=1" || !strings.Contains(saved.body, `role="status"`) {
			t.Fatalf("save: want the page again saying saved, got %d %s: %s", saved.resp.StatusCode, saved.resp.Request.URL, saved.body)
		}
		m := must(e.store.Members.ByEmail(t.Context(), "bob@example.com"))
		p := m.Profile
		if m.Name != "Robert Example" || p.GivenName != "Robert" || p.Locale != "en-US" || p.Birthdate != "1985" ||
			p.PhoneNumber != "+15550123" || p.PhoneNumberVerified || p.Address == nil ||
			p.Address.StreetAddress != "1 Main St\nApt 2" || p.Address.Locality != "Springfield" || p.Address.Region != "" {
			t.Fatalf("stored member %q %+v %+v", m.Name, p, p.Address)
		}
		if m.Email != "bob@example.com" || m.Role != idp.RoleMember {
			t.Fatalf("saving the profile changed the email or role: %+v", m)
		}
		if !strings.Contains(saved.body, `value="en-US"`) || !strings.Contains(saved.body, "1 Main St\nApt 2</textarea>") {
			t.Errorf("the page does not show the stored values: %s", saved.body)
		}
		ev := lastAudit(t, e.store, idp.AuditMemberUpdated)
		if ev.Actor != idp.ActorMember(m.ID) || ev.MemberID != m.ID {
			t.Errorf("audit event of the change: %+v; want the member as actor", ev)
		}

		// Refused values: named on the page, nothing stored.
		bad := url.Values{"birthdate": {"1985-02-30"}, "zoneinfo": {"Mars/Olympus"}, "picture": {"http://example.com/p.png"},
			"phone_number": {"555 0123"}, "locale": {"not a language"}, "given_name": {strings.Repeat("x", 201)},
			"address_locality": {"a\x01b"}}
		pg = b.get(e.issuer + "/account/profile")
		got := b.do(postForm(t, pg, formValues(pg, bad)))
		if got.resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got.body, `role="alert"`) {
			t.Fatalf("bad values: want 422 with an alert, got %d: %s", got.resp.StatusCode, got.body)
		}
		for _, label := range []string{`href="#birthdate">Birthdate`, `href="#zoneinfo">Time zone`, `href="#picture">Picture URL`,
			`href="#phone_number">Phone number`, `href="#locale">Language`, `href="#given_name">Given name`, `href="#address_locality">City`} {
			if !strings.Contains(got.body, label) {
				t.Errorf("the error list does not name %s: %s", label, got.body)
			}
		}
		if !strings.Contains(got.body, `value="Mars/Olympus"`) {
			t.Errorf("the form lost the typed values")
		}
		after := must(e.store.Members.ByEmail(t.Context(), "bob@example.com"))
		if !sameStoredProfile(after, m) {
			t.Errorf("a refused form changed the member: %+v -> %+v", m.Profile, after.Profile)
		}

		// The app sees what the member wrote.
		e.setClientScopes("web", "openid", "profile", "phone", "address")
		r := e.webRP("openid", "profile", "phone", "address")
		a := newAuthRequest()
		tok, err := r.exchange(e.code(b.signIn(r.authURL(a), "bob", bobPass), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		ui := e.userinfoClaims(tok.AccessToken)
		if ui["given_name"] != "Robert" || ui["locale"] != "en-US" || ui["phone_number_verified"] != false || ui["name"] != "Robert Example" {
			t.Errorf("userinfo after the edit: %v", ui)
		}
	})
}

// sameStoredProfile compares what the profile form may change.
func sameStoredProfile(a, b idp.Member) bool {
	x, y := a.Profile, b.Profile
	if (x.Address == nil) != (y.Address == nil) || (x.Address != nil && *x.Address != *y.Address) {
		return false
	}
	x.Address, y.Address = nil, nil
	return a.Name == b.Name && x == y && a.UpdatedAt.Equal(b.UpdatedAt)
}

// postForm builds the POST of pg's form with vals.
func postForm(t *testing.T, pg *page, vals url.Values) *http.Request {
	t.Helper()
	action := must(pg.resp.Request.URL.Parse(attr(findForm(pg.doc), "action")))
	req, err := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(vals.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// lastAudit returns the newest audit event of a type.
func lastAudit(t *testing.T, store *storage.Store, typ idp.AuditType) idp.AuditEvent {
	t.Helper()
	list, _, err := store.Audit.List(t.Context(), storage.AuditQuery{Type: typ, Limit: 1})
	if err != nil || len(list) == 0 {
		t.Fatalf("no audit event %s: %v", typ, err)
	}
	return list[0]
}
