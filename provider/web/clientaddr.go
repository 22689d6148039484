package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddr returns the IP address of the client that sent r, without a
// port. It is the TCP peer, unless the peer is one of Config.TrustedProxies:
// then the forwarding header is walked from its right end (the entry the
// nearest proxy appended) towards the left, skipping trusted hops, and the
// first untrusted address is the client. Entries left of that one were
// written by the client itself and are never believed, so a client cannot
// choose the address its attempts are counted under.
//
// X-Forwarded-For is read when present, else Forwarded (RFC 7239 §5.2,
// its "for" parameters); a proxy that speaks only Forwarded must drop any
// X-Forwarded-For the client sent. An entry that is not an address (an
// RFC 7239 "unknown" or obfuscated identifier, or garbage) ends the walk
// at the trusted hop that passed it on.
func (k *Kit) ClientAddr(r *http.Request) string {
	peer, ok := parseNode(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !k.trusted(peer) {
		return peer.String()
	}
	chain := forwardedFor(r.Header)
	addr := peer
	for i := len(chain) - 1; i >= 0 && k.trusted(addr); i-- {
		next, ok := parseNode(chain[i])
		if !ok {
			break
		}
		addr = next
	}
	return addr.String()
}

// trusted reports whether addr is inside one of the trusted proxy ranges.
func (k *Kit) trusted(addr netip.Addr) bool {
	for _, pfx := range k.cfg.TrustedProxies {
		if pfx.Contains(addr) {
			return true
		}
	}
	return false
}

// forwardedFor lists the client addresses that proxies recorded, leftmost
// (furthest from this server) first, from every X-Forwarded-For line, or
// failing that from every Forwarded line.
func forwardedFor(h http.Header) []string {
	var out []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, line := range xff {
			for entry := range strings.SplitSeq(line, ",") {
				out = append(out, strings.TrimSpace(entry))
			}
		}
		return out
	}
	for _, line := range h.Values("Forwarded") {
		for element := range strings.SplitSeq(line, ",") {
			node := "" // an element without "for" is a hop we cannot place
			for pair := range strings.SplitSeq(element, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if strings.EqualFold(k, "for") {
					node = strings.Trim(v, `"`)
				}
			}
			out = append(out, node)
		}
	}
	return out
}

// parseNode reads an address with or without a port, IPv6 with or without
// brackets ("192.0.2.1", "192.0.2.1:80", "[2001:db8::1]:80", "2001:db8::1").
// IPv4-mapped IPv6 addresses become IPv4, so one client has one form.
func parseNode(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	s, _, _ = strings.Cut(s, "%") // a zone names an interface of the sender, not the client
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
