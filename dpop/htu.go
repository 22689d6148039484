package dpop

import (
	"net/url"
	"strings"
)

// SameURL reports whether a proof's htu names the endpoint want. RFC 9449
// §4.3 check 9 compares them ignoring query and fragment, after the
// syntax- and scheme-based normalisation of RFC 3986 §6.2.2 and §6.2.3:
// case of scheme and host, default ports, an empty path as "/", and
// percent-encoding. An htu that is not an absolute http(s) URL never
// matches.
func SameURL(htu, want string) bool {
	a, ok := normalize(htu)
	if !ok {
		return false
	}
	b, ok := normalize(want)
	return ok && a == b
}

func normalize(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Host == "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := (&url.URL{Path: u.Path}).EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}
