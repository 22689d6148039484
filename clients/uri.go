package clients

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// checkURIs applies the redirect URI rules to every entry of a list.
func checkURIs(field string, uris []string, privateUse bool) []error {
	return checkList(field, uris, func(u string) string { return checkURI(u, privateUse) })
}

// checkURI returns why raw may not be registered as a redirect target, or ""
// when it may. The provider compares redirect URIs exactly (RFC 9700
// §4.1.3), so the rules are about where the browser may be sent:
//
//   - one URI: no comma, white space or control character;
//   - an absolute URI without a fragment (RFC 6749 §3.1.2);
//   - https to any host;
//   - http only to the loopback interface (RFC 8252 §7.3): the hosts
//     localhost, *.localhost, 127.0.0.1 and [::1], since plain http to any
//     other host exposes the code to the network;
//   - when privateUse is set, a private-use scheme of a native app, which
//     must contain a period (a reversed domain name, RFC 8252 §7.1) so it
//     cannot be a well-known scheme such as javascript: or data:.
func checkURI(raw string, privateUse bool) string {
	if strings.ContainsFunc(raw, func(r rune) bool { return r == ',' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
		// Legal in some URIs, but here always a list pasted into one
		// entry ("a,b") or a stray paste: the exact match at /authorize
		// would then never succeed, or succeed for the wrong string.
		return "must not contain a comma, white space or control characters; give each URI as its own entry"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "not a valid URI"
	}
	switch {
	case !u.IsAbs():
		return "must be an absolute URI"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not contain a fragment"
	case u.User != nil:
		return "must not contain user information"
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return "must name a host"
		}
		return ""
	case "http":
		if !isLoopback(u.Hostname()) {
			return "http is allowed only for loopback or localhost hosts"
		}
		return ""
	}
	if privateUse && strings.Contains(u.Scheme, ".") {
		return ""
	}
	if privateUse {
		return fmt.Sprintf("scheme %q: want https, http on a loopback host, or a private-use scheme with a period (RFC 8252 §7.1)", u.Scheme)
	}
	return fmt.Sprintf("scheme %q: want https, or http on a loopback host", u.Scheme)
}

// isLoopback reports whether host (without port or brackets) is one of the
// loopback names RFC 8252 §7.3 and RFC 6761 §6.3 allow over plain http.
func isLoopback(host string) bool {
	host = strings.ToLower(host)
	return host == "localhost" || (strings.HasSuffix(host, ".localhost") && len(host) > len(".localhost")) ||
		host == "127.0.0.1" || host == "::1"
}
