package web

import (
	"context"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// Languages are the languages the pages are shipped in, the first the
// fallback; discovery publishes them as ui_locales_supported (OpenID
// Connect Discovery §3).
var Languages = []language.Tag{language.English, language.French}

// matcher picks the closest shipped language (fr-CA → fr, en-GB → en).
var matcher = language.NewMatcher(Languages)

// maxLocalesBytes bounds the ui_locales and Accept-Language values read:
// a real preference list is a few tags; a longer value is cut here so a
// request's header cannot make parsing cost more than a page render.
const maxLocalesBytes = 256

// LanguageTags returns the BCP 47 tags of Languages.
func LanguageTags() []string {
	tags := make([]string, len(Languages))
	for i, t := range Languages {
		tags[i] = t.String()
	}
	return tags
}

type localesKey struct{}

// locales is the per-request holder of the ui_locales an authorization
// request asked for, filled by the handler that loads its flow.
type locales struct{ ui string }

// WithLocales gives each request a holder for PreferLocales, so that the
// handler that finds the authorization request's ui_locales (in its flow)
// can set the page language without handing a new request down.
func WithLocales(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), localesKey{}, &locales{})))
	})
}

// PreferLocales records the ui_locales of the authorization request r
// belongs to (OpenID Connect Core §3.1.2.1): they come before
// Accept-Language when the page's language is chosen.
func PreferLocales(r *http.Request, uiLocales string) {
	if l, ok := r.Context().Value(localesKey{}).(*locales); ok {
		l.ui = uiLocales
	}
}

// Language picks the page language of r: the authorization request's
// ui_locales (recorded by PreferLocales, or in the form of the request
// itself), then Accept-Language, then English.
func Language(r *http.Request) language.Tag {
	ui := ""
	if l, ok := r.Context().Value(localesKey{}).(*locales); ok {
		ui = l.ui
	}
	if ui == "" && r.Form != nil {
		ui = r.Form.Get("ui_locales")
	}
	if ui != "" {
		var tags []language.Tag
		for _, s := range strings.Fields(truncate(ui)) {
			if t, err := language.Parse(s); err == nil {
				tags = append(tags, t)
			}
		}
		if tag, ok := match(tags); ok {
			return tag
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(truncate(al))
		if err == nil {
			if tag, ok := match(tags); ok {
				return tag
			}
		}
	}
	return Languages[0]
}

// match returns the shipped language closest to the preference list, and
// whether it matched at all (a list of only unshipped languages does not,
// so the next source of preference is tried).
func match(tags []language.Tag) (language.Tag, bool) {
	if len(tags) == 0 {
		return language.Tag{}, false
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return language.Tag{}, false
	}
	return Languages[i], true
}

func truncate(s string) string {
	if len(s) > maxLocalesBytes {
		s = s[:maxLocalesBytes]
		if i := strings.LastIndexAny(s, " ,"); i > 0 {
			s = s[:i]
		}
	}
	return s
}
