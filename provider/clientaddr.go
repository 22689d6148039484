package provider

import (
	"net"
	"net/http"
)

// clientAddr is the address a request came from, as far as this provider
// can tell: the host of the connection's peer.
func (p *Provider) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
