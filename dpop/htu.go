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
	path := normalizePercent(u.EscapedPath())
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// normalizePercent applies RFC 3986 §6.2.2.1 and §6.2.2.2 to an escaped
// path: percent-encoded unreserved characters are decoded, other
// encodings get upper-case hex digits; reserved ones such as %2F stay
// encoded, since decoding them would change the path.
func normalizePercent(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+2 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		c, ok := unhex(p[i+1], p[i+2])
		switch {
		case !ok:
			b.WriteByte(p[i])
			continue
		case unreserved(c):
			b.WriteByte(c)
		default:
			b.WriteString(strings.ToUpper(p[i : i+3]))
		}
		i += 2
	}
	return b.String()
}

func unhex(a, b byte) (byte, bool) {
	v := func(c byte) (byte, bool) {
		switch {
		case '0' <= c && c <= '9':
			return c - '0', true
		case 'a' <= c && c <= 'f':
			return c - 'a' + 10, true
		case 'A' <= c && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	hi, ok1 := v(a)
	lo, ok2 := v(b)
	return hi<<4 | lo, ok1 && ok2
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0
}
