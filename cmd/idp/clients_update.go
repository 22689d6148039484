package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// clientArgCommand returns a command acting on the client its argument
// names.
func (c *cli) clientArgCommand(name, usage, help string, fs *flag.FlagSet, dsn *string,
	fn func(context.Context, *storage.Store, idp.Client) error) *ffcli.Command {
	return c.argCommand(name, usage, help, fs, func(ctx context.Context, id string) error {
		if err := checkDatabase(*dsn); err != nil {
			return err
		}
		return withStore(ctx, *dsn, func(store *storage.Store) error {
			cl, err := store.Clients.ByID(ctx, id)
			if err != nil {
				return fmt.Errorf("find client %q: %w", id, err)
			}
			return fn(ctx, store, cl)
		})
	})
}

func (c *cli) clientsShowCommand() *ffcli.Command {
	var dsn string
	var asJSON bool
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	fs.BoolVar(&asJSON, "json", false, "print a JSON object")
	return c.clientArgCommand("show", "idp clients show ID [--json]", "show a client's registration", fs, &dsn,
		func(_ context.Context, _ *storage.Store, cl idp.Client) error {
			j := newClientJSON(cl)
			words := func(l []string) string { return strings.Join(l, " ") }
			return c.show([][2]string{
				{"ID", j.ID}, {"Name", j.Name}, {"Public", fmt.Sprint(j.Public)},
				{"Auth method", j.TokenEndpointAuthMethod}, {"Redirect URIs", words(j.RedirectURIs)},
				{"Post-logout redirect URIs", words(j.PostLogoutRedirectURIs)}, {"Grant types", words(j.GrantTypes)},
				{"Response types", words(j.ResponseTypes)}, {"Scopes", words(j.Scopes)}, {"Audience", words(j.Audience)},
				{"Skip consent", fmt.Sprint(j.SkipConsent)}, {"Allow plain OAuth", fmt.Sprint(j.AllowPlainOAuth)},
				{"Back-channel logout URI", j.BackchannelLogoutURI}, {"Introspection", j.Introspection},
				{"ID token algorithm", orDefault(j.IDTokenAlg)}, {"Access token algorithm", orDefault(j.AccessTokenAlg)},
				{"DPoP-bound access tokens", fmt.Sprint(j.DPoPBoundAccessTokens)},
				{"Requires pushed requests", fmt.Sprint(j.RequirePAR)},
				{"Assertion algorithm", j.TokenEndpointAuthSigningAlg}, {"JWKS URI", j.JWKSURI},
				{"Inline JWKS", string(j.JWKS)},
				{"Created", timestamp(j.CreatedAt)}, {"Updated", timestamp(j.UpdatedAt)},
			}, j, asJSON)
		})
}

// clientUpdateConfig holds the flags of idp clients update; only the flags
// given change the registration. A list flag given once as "" empties the
// list.
type clientUpdateConfig struct {
	Database                                                           string
	Name, AuthMethod, BackchannelLogoutURI, Introspection              string
	IDTokenAlg, AccessTokenAlg, JWKS, JWKSURI, AuthSigningAlg          string
	SkipConsent, AllowPlainOAuth, DPoPBound, RequirePAR                bool
	RedirectURIs, PostLogoutRedirectURIs, GrantTypes, Scopes, Audience *listFlag
}

func (cfg *clientUpdateConfig) register(fs *flag.FlagSet) {
	cfg.RedirectURIs, cfg.PostLogoutRedirectURIs, cfg.GrantTypes = newList(), newList(), newList()
	cfg.Scopes, cfg.Audience = newList(), newList()
	databaseVar(fs, &cfg.Database)
	fs.StringVar(&cfg.Name, "name", "", "name shown on the consent page")
	fs.Var(cfg.RedirectURIs, "redirect-uri", "redirect URI (repeatable; replaces the list)")
	fs.Var(cfg.PostLogoutRedirectURIs, "post-logout-redirect-uri", "post-logout redirect URI (repeatable; replaces the list)")
	fs.Var(cfg.GrantTypes, "grant-type", "grant type (repeatable; replaces the list)")
	fs.Var(cfg.Scopes, "scope", "scope the client may request (repeatable; replaces the list)")
	fs.Var(cfg.Audience, "audience", "audience of its access tokens (repeatable; replaces the list)")
	fs.StringVar(&cfg.AuthMethod, "auth-method", "", "token endpoint auth method")
	fs.BoolVar(&cfg.SkipConsent, "skip-consent", false, "a first-party client: do not ask members to consent")
	fs.BoolVar(&cfg.AllowPlainOAuth, "allow-plain-oauth", false, "let this confidential client omit PKCE")
	fs.BoolVar(&cfg.DPoPBound, "dpop-bound-access-tokens", false, "refuse this client's token requests without a DPoP proof (RFC 9449)")
	fs.StringVar(&cfg.BackchannelLogoutURI, "backchannel-logout-uri", "", "back-channel logout URI (\"\" removes it)")
	fs.StringVar(&cfg.Introspection, "introspection", "", `"all" or "" (only its own tokens)`)
	fs.StringVar(&cfg.IDTokenAlg, "id-token-alg", "", idTokenAlgUsage)
	fs.StringVar(&cfg.AccessTokenAlg, "access-token-alg", "", accessTokenAlgUsage)
	fs.StringVar(&cfg.JWKS, "jwks", "", jwksUsage+` ("" removes it)`)
	fs.StringVar(&cfg.JWKSURI, "jwks-uri", "", jwksURIUsage+` ("" removes it)`)
	fs.StringVar(&cfg.AuthSigningAlg, "auth-signing-alg", "", authSigningAlgUsage)
	fs.BoolVar(&cfg.RequirePAR, "require-par", false, requirePARUsage)
}

// apply returns cl with the values of the flags given on fs.
func (cfg clientUpdateConfig) apply(fs *flag.FlagSet, cl idp.Client) idp.Client {
	list := func(l *listFlag) []string {
		return slices.DeleteFunc(slices.Clone(l.values), func(s string) bool { return s == "" })
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "name":
			cl.Name = cfg.Name
		case "redirect-uri":
			cl.RedirectURIs = list(cfg.RedirectURIs)
		case "post-logout-redirect-uri":
			cl.PostLogoutRedirectURIs = list(cfg.PostLogoutRedirectURIs)
		case "grant-type":
			cl.GrantTypes = list(cfg.GrantTypes)
		case "scope":
			cl.Scopes = list(cfg.Scopes)
		case "audience":
			cl.Audience = list(cfg.Audience)
		case "auth-method":
			cl.TokenEndpointAuthMethod = cfg.AuthMethod
		case "skip-consent":
			cl.SkipConsent = cfg.SkipConsent
		case "allow-plain-oauth":
			cl.AllowPlainOAuth = cfg.AllowPlainOAuth
		case "dpop-bound-access-tokens":
			cl.DPoPBoundAccessTokens = cfg.DPoPBound
		case "backchannel-logout-uri":
			cl.BackchannelLogoutURI = cfg.BackchannelLogoutURI
		case "introspection":
			cl.Introspection = cfg.Introspection
		case "id-token-alg":
			cl.IDTokenSignedResponseAlg = cfg.IDTokenAlg
		case "access-token-alg":
			cl.AccessTokenSignedResponseAlg = cfg.AccessTokenAlg
		case "jwks":
			cl.JWKS = cfg.JWKS
		case "jwks-uri":
			cl.JWKSURI = cfg.JWKSURI
		case "auth-signing-alg":
			cl.TokenEndpointAuthSigningAlg = cfg.AuthSigningAlg
		case "require-par":
			cl.RequirePAR = cfg.RequirePAR
		}
	})
	return cl
}

func (c *cli) clientsUpdateCommand() *ffcli.Command {
	var cfg clientUpdateConfig
	fs := flag.NewFlagSet("update", flag.ContinueOnError)
	cfg.register(fs)
	return c.clientArgCommand("update", "idp clients update ID [flags]",
		"change a client's registration; the flags not given keep their value", fs, &cfg.Database,
		func(ctx context.Context, store *storage.Store, cl idp.Client) error {
			err := clients.Update(ctx, store, cfg.apply(fs, cl))
			if errs := splitErrors(err); len(errs) > 0 && errors.Is(err, idp.ErrInvalid) {
				for i, e := range errs {
					errs[i] = flagError(e)
				}
				return errors.Join(errs...)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "updated client %s\n", cl.ID)
			return nil
		})
}

func (c *cli) clientsRotateSecretCommand() *ffcli.Command {
	var dsn string
	fs := flag.NewFlagSet("rotate-secret", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	return c.clientArgCommand("rotate-secret", "idp clients rotate-secret ID",
		"give a confidential client a new generated secret, printed once; the old one stops working", fs, &dsn,
		func(ctx context.Context, store *storage.Store, cl idp.Client) error {
			secret, err := clients.RotateSecret(ctx, store, cl.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "client_id: %s\nclient_secret: %s\n", cl.ID, secret)
			fmt.Fprintln(c.stderr, "Store the client secret now: it is not shown again.")
			return nil
		})
}

// orDefault shows an unset token signing algorithm as the one used.
func orDefault(alg string) string {
	if alg == "" {
		return keys.RS256 + " (default)"
	}
	return alg
}
