package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
)

// checkTarget refuses a target whose host is not a loopback address (or a
// name resolving only to loopback addresses) unless remote is allowed.
func checkTarget(ctx context.Context, target string, remote bool) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target %q: want an http or https URL", target)
	}
	if remote {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !ip.Unmap().IsLoopback() {
			return fmt.Errorf("target %s is not a loopback address: pass --allow-remote to load a server you run elsewhere", host)
		}
		return nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("target %s: %w", host, err)
	}
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			return fmt.Errorf("target %s resolves to %s, not a loopback address: pass --allow-remote to load a server you run elsewhere", host, a)
		}
	}
	return nil
}
