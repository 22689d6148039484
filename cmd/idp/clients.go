package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func (c *cli) clientsCommand() *ffcli.Command {
	return c.group("clients", "idp clients <add|list|remove> [flags]", "manage registered applications",
		c.clientsAddCommand(), c.clientsListCommand(), c.clientsRemoveCommand())
}

// clientAddConfig is the configuration of idp clients add.
type clientAddConfig struct {
	Database               string
	ID                     string
	Name                   string
	RedirectURIs           *listFlag
	PostLogoutRedirectURIs *listFlag
	GrantTypes             *listFlag
	Scopes                 *listFlag
	Audience               *listFlag
	AuthMethod             string
	Public                 bool
	SkipConsent            bool
	AllowPlainOAuth        bool
	BackchannelLogoutURI   string
	Introspection          string
	SecretStdin            bool
}

func (cfg *clientAddConfig) register(fs *flag.FlagSet) {
	cfg.RedirectURIs, cfg.PostLogoutRedirectURIs = newList(), newList()
	cfg.GrantTypes, cfg.Scopes, cfg.Audience = newList(defaultGrantTypes...), newList(defaultScopes...), newList()
	databaseVar(fs, &cfg.Database)
	fs.StringVar(&cfg.ID, "id", "", "client_id")
	fs.StringVar(&cfg.Name, "name", "", "name shown on the consent page")
	fs.Var(cfg.RedirectURIs, "redirect-uri", "redirect URI (repeatable)")
	fs.Var(cfg.PostLogoutRedirectURIs, "post-logout-redirect-uri", "post-logout redirect URI (repeatable)")
	fs.Var(cfg.GrantTypes, "grant-type", "grant type (repeatable)")
	fs.Var(cfg.Scopes, "scope", "scope the client may request (repeatable)")
	fs.Var(cfg.Audience, "audience", "audience of its access tokens (repeatable)")
	fs.StringVar(&cfg.AuthMethod, "auth-method", "", "token endpoint auth method (default client_secret_basic, or none when public)")
	fs.BoolVar(&cfg.Public, "public", false, "a public client (no secret; PKCE required)")
	fs.BoolVar(&cfg.SkipConsent, "skip-consent", false, "a first-party client: do not ask members to consent")
	fs.BoolVar(&cfg.AllowPlainOAuth, "allow-plain-oauth", false, "let this confidential client omit PKCE")
	fs.StringVar(&cfg.BackchannelLogoutURI, "backchannel-logout-uri", "", "back-channel logout URI")
	fs.StringVar(&cfg.Introspection, "introspection", "", `"all": a resource server that may introspect every token, not only its own`)
	fs.BoolVar(&cfg.SecretStdin, "secret-stdin", false, "read the secret from standard input instead of generating one")
}

// client returns the registration, normalized; a confidential client gets
// a placeholder hash until its secret is hashed.
func (cfg clientAddConfig) client() idp.Client {
	cl := idp.Client{
		ID: cfg.ID, Name: cfg.Name,
		RedirectURIs: cfg.RedirectURIs.values, PostLogoutRedirectURIs: cfg.PostLogoutRedirectURIs.values,
		GrantTypes: cfg.GrantTypes.values, Scopes: cfg.Scopes.values, Audience: cfg.Audience.values,
		TokenEndpointAuthMethod: cfg.AuthMethod, SkipConsent: cfg.SkipConsent,
		AllowPlainOAuth: cfg.AllowPlainOAuth, BackchannelLogoutURI: cfg.BackchannelLogoutURI,
		Introspection: cfg.Introspection,
	}
	if !cfg.Public {
		cl.SecretHash = pendingHash
	}
	clients.Normalize(&cl)
	return cl
}

// Validate reports every problem at once, the flags' own and those the
// registration rules find, naming the flag.
func (cfg clientAddConfig) Validate() error {
	errs := []error{checkDatabase(cfg.Database)}
	for _, e := range splitErrors(clients.Validate(cfg.client())) {
		errs = append(errs, flagError(e))
	}
	if cfg.Public && cfg.SecretStdin {
		errs = append(errs, fmt.Errorf("%s: a public client has no secret", option("secret-stdin")))
	}
	return errors.Join(errs...)
}

// splitErrors returns the errors joined in err, so each can be labelled.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// registrationFlags maps the fields of a registration to the flags of
// idp clients add.
var registrationFlags = map[string]string{
	"id": "id", "redirect_uris": "redirect-uri", "post_logout_redirect_uris": "post-logout-redirect-uri",
	"grant_types": "grant-type", "scopes": "scope", "audience": "audience",
	"token_endpoint_auth_method": "auth-method", "backchannel_logout_uri": "backchannel-logout-uri",
	"introspection": "introspection",
}

// flagError renames the field of a *clients.FieldError to the flag it came
// from, keeping the index of a repeated flag: "--redirect-uri[1]: ...".
func flagError(err error) error {
	var fe *clients.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	base, index, _ := strings.Cut(fe.Field, "[")
	name, ok := registrationFlags[base]
	if !ok {
		return err
	}
	if index != "" {
		index = "[" + index
	}
	return fmt.Errorf("--%s%s: %s", name, index, fe.Msg)
}

func (c *cli) clientsAddCommand() *ffcli.Command {
	var cfg clientAddConfig
	fs := flag.NewFlagSet("add", flag.ContinueOnError)
	cfg.register(fs)
	return c.command("add", "idp clients add --id ID --redirect-uri U [flags]",
		"register a client; a generated secret is printed once", fs, func(ctx context.Context) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			cl := cfg.client()
			secret, generated, err := c.clientSecret(cfg)
			if err != nil {
				return err
			}
			if cl.SecretHash != "" {
				if cl.SecretHash, err = clients.HashSecret(secret); err != nil {
					return err
				}
			}
			return withStore(ctx, cfg.Database, func(store *storage.Store) error {
				if err := store.Clients.Create(ctx, &cl); err != nil {
					return fmt.Errorf("add client: %w", err)
				}
				fmt.Fprintf(c.stdout, "client_id: %s\n", cl.ID)
				if generated {
					fmt.Fprintf(c.stdout, "client_secret: %s\n", secret)
					fmt.Fprintln(c.stderr, "Store the client secret now: it is not shown again.")
				}
				return nil
			})
		})
}

// clientSecret returns the secret of the client cfg describes: none for a
// public client, read from standard input with --secret-stdin, else
// generated.
func (c *cli) clientSecret(cfg clientAddConfig) (secret string, generated bool, err error) {
	switch {
	case cfg.Public:
		return "", false, nil
	case cfg.SecretStdin:
		if secret, err = readSecret(c.stdin, c.stderr, "client secret"); err != nil {
			return "", false, err
		}
		if err := clients.CheckSecret(secret); err != nil {
			return "", false, fmt.Errorf("%s: %w", option("secret-stdin"), err)
		}
		return secret, false, nil
	}
	secret, err = clients.GenerateSecret()
	return secret, true, err
}

func (c *cli) clientsListCommand() *ffcli.Command {
	var dsn string
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	return c.command("list", "idp clients list", "list registered clients", fs, func(ctx context.Context) error {
		if err := checkDatabase(dsn); err != nil {
			return err
		}
		return withStore(ctx, dsn, func(store *storage.Store) error {
			list, err := store.Clients.List(ctx)
			if err != nil {
				return fmt.Errorf("list clients: %w", err)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tAUTH METHOD\tGRANT TYPES\tREDIRECT URIS")
			for _, cl := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cl.ID, cl.Name, cl.TokenEndpointAuthMethod,
					strings.Join(cl.GrantTypes, ","), strings.Join(cl.RedirectURIs, " "))
			}
			return tw.Flush()
		})
	})
}

func (c *cli) clientsRemoveCommand() *ffcli.Command {
	var dsn, id string
	fs := flag.NewFlagSet("remove", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	fs.StringVar(&id, "id", "", "client_id of the client to remove")
	return c.command("remove", "idp clients remove --id ID", "remove a client with its consents and tokens", fs,
		func(ctx context.Context) error {
			var errs []error
			if id == "" {
				errs = append(errs, fmt.Errorf("%s: required", option("id")))
			}
			if err := errors.Join(append(errs, checkDatabase(dsn))...); err != nil {
				return err
			}
			return withStore(ctx, dsn, func(store *storage.Store) error {
				if _, err := store.Clients.ByID(ctx, id); err != nil {
					return fmt.Errorf("find client: %w", err)
				}
				if err := store.Clients.Delete(ctx, id); err != nil {
					return fmt.Errorf("remove client: %w", err)
				}
				fmt.Fprintf(c.stdout, "removed client %s\n", id)
				return nil
			})
		})
}
