package idptest

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// TestSignIn drives SignIn through a login and a consent page that insist
// on their hidden CSRF field, and checks that a browser with a home stops
// at the redirect leaving it while one without follows it.
func TestSignIn(t *testing.T) {
	const form = `<form method="post" action="%s"><input type="hidden" name="csrf" value="tok">%s</form>`
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
	var callback string
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		page(w, fmt.Sprintf(form, "/login", `<input name="username"><input type="password" name="password">`))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("csrf") != "tok" || r.PostFormValue("username") != "alice" || r.PostFormValue("password") != "pw" {
			http.Error(w, "refused", http.StatusForbidden)
			return
		}
		page(w, fmt.Sprintf(form, "/consent", `<button name="consent" value="deny">No</button>`))
	})
	mux.HandleFunc("POST /consent", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("csrf") != "tok" || r.PostFormValue("consent") != "allow" {
			http.Error(w, "refused", http.StatusForbidden)
			return
		}
		http.Redirect(w, r, callback, http.StatusSeeOther)
	})
	app := Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { page(w, "app "+r.URL.RawQuery) }))
	idp := Serve(t, mux)
	callback = app.URL + "/cb?" + url.Values{"code": {"c1"}, "state": {"s1"}, "iss": {idp.URL}}.Encode()

	cb := NewBrowser(t, idp.URL).SignIn(idp.URL+"/authorize", "alice", "pw")
	if code := Code(t, cb, "s1", idp.URL); code != "c1" || cb.Host != app.Listener.Addr().String() {
		t.Errorf("SignIn ended at %s with code %q, want the app's callback with c1", cb, code)
	}
	b := NewBrowser(t, "")
	pg := b.Submit(b.Submit(b.Get(idp.URL+"/authorize"), url.Values{"username": {"alice"}, "password": {"pw"}}, "", ""), nil, "consent", "allow")
	if want := "app " + cb.RawQuery; pg.URL() != callback || pg.Body != want {
		t.Errorf("browser without a home ended at %s with %q, want the app's page", pg.URL(), pg.Body)
	}
}
