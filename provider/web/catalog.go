package web

import (
	"fmt"
	"net/http"

	"golang.org/x/text/language"
)

// catalogs holds the messages of every shipped language but English,
// keyed by their English text, which is what templates and the error
// table hold: a message missing from a catalog shows in English rather
// than not at all, and TestCatalogsComplete fails until it is added.
var catalogs = map[language.Tag]map[string]string{
	language.French: french,
}

// translate returns the message key in catalog cat (the key itself when
// cat has none: English), with args formatted into it.
func translate(cat map[string]string, key string, args ...any) string {
	msg, ok := cat[key]
	if !ok {
		msg = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// T translates message key into the language r's page is shown in, with
// args formatted into it. Handlers call it for a message whose values they
// fill in (web.MsgPasswordRule): the page's t finds no key for the filled
// sentence, so it must be translated before the values go in.
func (k *Kit) T(r *http.Request, key string, args ...any) string {
	return translate(catalogs[Language(r)], key, args...)
}
