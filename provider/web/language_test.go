package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

// TestLanguage: ui_locales (recorded or in the form) before
// Accept-Language, closest match, English when nothing matches.
func TestLanguage(t *testing.T) {
	for _, tt := range []struct {
		ui, form, accept string
		want             language.Tag
	}{
		{"", "", "", language.English},
		{"fr-CA", "", "en", language.French},
		{"de fr", "", "en", language.French},
		{"de", "", "fr-CH, en;q=0.5", language.French},
		{"en", "", "fr", language.English},
		{"", "fr", "en", language.French},
		{"", "", "de-DE, fr;q=0.8, en;q=0.5", language.French},
		{"", "", "en-GB", language.English},
		{"", "", "*", language.English},
		{"", "", "zz-ZZ, qq", language.English},
		{"not a tag", "", strings.Repeat("x-", 10000), language.English},
	} {
		r := httptest.NewRequest(http.MethodGet, "/login", nil)
		if tt.form != "" {
			r.Form = url.Values{"ui_locales": {tt.form}}
		}
		if tt.accept != "" {
			r.Header.Set("Accept-Language", tt.accept)
		}
		var got language.Tag
		WithLocales(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			PreferLocales(r, tt.ui)
			got = Language(r)
		})).ServeHTTP(httptest.NewRecorder(), r)
		if got != tt.want {
			t.Errorf("ui %q form %q accept %.20q: %v, want %v", tt.ui, tt.form, tt.accept, got, tt.want)
		}
	}
}

// BenchmarkRender renders the login page in French chosen by
// Accept-Language: the whole per-request cost of translation (the
// language match; the pages are parsed once per language at start).
func BenchmarkRender(b *testing.B) {
	k, err := New(Config{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	for _, accept := range []string{"", "de-DE, fr;q=0.8, en;q=0.5"} {
		b.Run("accept="+accept, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/login", nil)
			r.Header.Set("Accept-Language", accept)
			data := LoginPage{ClientName: "Web App", FlowID: "flow", CSRFToken: "token", Username: "alice", Error: "The username or password is incorrect."}
			b.ReportAllocs()
			for b.Loop() {
				k.Render(httptest.NewRecorder(), r, http.StatusOK, k.Pages.Login, data)
			}
		})
	}
	b.Run("match only", func(b *testing.B) {
		r := httptest.NewRequest(http.MethodGet, "/login", nil)
		r.Header.Set("Accept-Language", "de-DE, fr;q=0.8, en;q=0.5")
		b.ReportAllocs()
		for b.Loop() {
			Language(r)
		}
	})
}
