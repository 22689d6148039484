package provider

import (
	"net/http"

	"github.com/idp/idp/provider/console"
)

// ConsoleRequiringMFA returns p's admin console with
// console.Config.RequireMFA set, as --require-mfa-for-role admin makes
// it, for a test to serve beside p (cookies are shared by host, not port).
func ConsoleRequiringMFA(p *Provider) http.Handler {
	c := p.consoleConfig()
	c.RequireMFA = true
	return console.New(c)
}
