package provider

import (
	"context"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/provider/console"
)

// consoleConfig is the admin console's dependencies: the account pages'
// guard, the members rules with the provider's way of ending sessions,
// the audit trail, and this replica's client cache and keyring to refresh
// after a change.
func (p *Provider) consoleConfig() console.Config {
	return console.Config{
		Store: p.store, Web: p.web, Guard: p.account,
		Members:    members.Service{Store: p.store, EndSessions: p.endMemberSessions},
		Mail:       p.mail,
		Recorder:   p.audit,
		EndSession: p.endAdminSession,
		// Other replicas see a change within the client cache's lifetime
		// and load a new key within keys.ReloadInterval, long before it
		// signs.
		ClientChanged: p.oauth.ForgetClient,
		KeysChanged: func(ctx context.Context) {
			if err := p.keys.Reload(ctx); err != nil {
				p.log.ErrorContext(ctx, "reload signing keys", "err", err)
			}
		},
		Secret: p.cfg.Secret, Log: p.log, Now: p.cfg.Now,
		// --require-mfa-for-role admin: an administrator's session must
		// have used a second factor.
		RequireMFA: slices.Contains(p.cfg.RequireMFAForRoles, idp.RoleAdmin),
	}
}

// mountConsole serves the admin console at /admin and below. It is
// registered after the admin API, whose /admin/v1 prefix therefore
// matches first; the console itself also refuses that prefix.
func (p *Provider) mountConsole(r *mux.Router, c http.Handler) {
	r.Handle(console.Path, c)
	r.PathPrefix(console.Path + "/").Handler(c)
}
