package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/ory/fosite"
)

// maxMultipartMemory is what fosite allows a multipart form at the
// authorization and token endpoints; parsing here with the same limit lets
// the provider see every parameter fosite will see.
const maxMultipartMemory = 1 << 20

// ParseForm parses the query and body, multipart included, as fosite does.
func ParseForm(r *http.Request) error {
	if err := r.ParseMultipartForm(maxMultipartMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return fosite.ErrInvalidRequest.WithHint("The request body could not be parsed.").WithWrap(err)
	}
	return nil
}

// Repeated returns the name of a parameter sent more than once, or "".
// RFC 6749 §3.1 and §3.2: "Request and response parameters MUST NOT be
// included more than once"; a parameter sent without a value counts as
// omitted. A repeated parameter is refused rather than resolved (first
// wins, last wins), since a proxy or library in front may resolve it the
// other way and validate a different request than the one granted.
func Repeated(form url.Values) string {
	for k, vs := range form {
		n := 0
		for _, v := range vs {
			if v != "" {
				n++
			}
		}
		if n > 1 {
			return k
		}
	}
	return ""
}
