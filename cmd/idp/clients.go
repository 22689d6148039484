package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func (c *cli) clientsCommand() *ffcli.Command {
	return c.group("clients", "idp clients <add|list|show|update|rotate-secret|remove> [flags]", "manage registered applications",
		c.clientsAddCommand(), c.clientsListCommand(), c.clientsShowCommand(), c.clientsUpdateCommand(),
		c.clientsRotateSecretCommand(), c.clientsRemoveCommand())
}

// The token signing algorithm flags of idp clients add and update.
const (
	idTokenAlgUsage     = "algorithm of its ID tokens: RS256 (default), ES256 or EdDSA"
	accessTokenAlgUsage = "algorithm of its JWT access tokens: RS256 (default), ES256 or EdDSA"
)

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
	DPoPBound              bool
	BackchannelLogoutURI   string
	Introspection          string
	SecretStdin            bool
	IDTokenAlg             string
	AccessTokenAlg         string
	JWKS, JWKSURI          string
	AuthSigningAlg         string
	RequirePAR             bool
}

func (cfg *clientAddConfig) register(fs *flag.FlagSet) {
	cfg.RedirectURIs, cfg.PostLogoutRedirectURIs = newList(), newList()
	cfg.GrantTypes, cfg.Scopes, cfg.Audience = newList(clients.DefaultGrantTypes...), newList(clients.DefaultScopes...), newList()
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
	fs.BoolVar(&cfg.DPoPBound, "dpop-bound-access-tokens", false, "refuse this client's token requests without a DPoP proof (RFC 9449)")
	fs.StringVar(&cfg.BackchannelLogoutURI, "backchannel-logout-uri", "", "back-channel logout URI")
	fs.StringVar(&cfg.Introspection, "introspection", "", `"all": a resource server that may introspect every token, not only its own`)
	fs.StringVar(&cfg.IDTokenAlg, "id-token-alg", "", idTokenAlgUsage)
	fs.StringVar(&cfg.AccessTokenAlg, "access-token-alg", "", accessTokenAlgUsage)
	fs.BoolVar(&cfg.SecretStdin, "secret-stdin", false, "read the secret from standard input instead of generating one")
	fs.StringVar(&cfg.JWKS, "jwks", "", jwksUsage)
	fs.StringVar(&cfg.JWKSURI, "jwks-uri", "", jwksURIUsage)
	fs.StringVar(&cfg.AuthSigningAlg, "auth-signing-alg", "", authSigningAlgUsage)
	fs.BoolVar(&cfg.RequirePAR, "require-par", false, requirePARUsage)
}

// keyAuth reports whether the client authenticates with private_key_jwt,
// so holds no secret.
func (cfg clientAddConfig) keyAuth() bool { return cfg.AuthMethod == idp.AuthMethodPrivateKeyJWT }

// client returns the registration with the defaults filled; a
// confidential client has clients.PendingHash until its secret is hashed.
func (cfg clientAddConfig) client() idp.Client {
	cl := idp.Client{
		ID: cfg.ID, Name: cfg.Name,
		RedirectURIs: cfg.RedirectURIs.values, PostLogoutRedirectURIs: cfg.PostLogoutRedirectURIs.values,
		GrantTypes: cfg.GrantTypes.values, Scopes: cfg.Scopes.values, Audience: cfg.Audience.values,
		TokenEndpointAuthMethod: cfg.AuthMethod, SkipConsent: cfg.SkipConsent,
		AllowPlainOAuth: cfg.AllowPlainOAuth, BackchannelLogoutURI: cfg.BackchannelLogoutURI,
		Introspection:            cfg.Introspection,
		IDTokenSignedResponseAlg: cfg.IDTokenAlg, AccessTokenSignedResponseAlg: cfg.AccessTokenAlg,
		DPoPBoundAccessTokens: cfg.DPoPBound,
		JWKS:                  cfg.JWKS, JWKSURI: cfg.JWKSURI, TokenEndpointAuthSigningAlg: cfg.AuthSigningAlg,
		RequirePAR: cfg.RequirePAR,
	}
	clients.Prepare(&cl, !cfg.Public && !cfg.keyAuth())
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
	if cfg.keyAuth() && cfg.SecretStdin {
		errs = append(errs, fmt.Errorf("%s: a private_key_jwt client has no secret", option("secret-stdin")))
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
	"introspection": "introspection", "id_token_signed_response_alg": "id-token-alg",
	"access_token_signed_response_alg": "access-token-alg", "jwks": "jwks", "jwks_uri": "jwks-uri",
	"token_endpoint_auth_signing_alg":       "auth-signing-alg",
	"require_pushed_authorization_requests": "require-par",
}

// Usage of the flags of the key-authenticated and pushed-request fields,
// shared by add and update.
const (
	jwksUsage           = "inline JWK set (JSON) of the public keys that sign its private_key_jwt assertions"
	jwksURIUsage        = "https URL (or http on loopback) of its JWK set, instead of --jwks"
	authSigningAlgUsage = "the one algorithm of its private_key_jwt assertions: RS256, ES256 or EdDSA"
	requirePARUsage     = "refuse its authorization requests unless pushed first (RFC 9126)"
)

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
			return withStore(ctx, cfg.Database, func(store *storage.Store) error {
				if err := clients.Create(ctx, store, &cl, secret); err != nil {
					return err
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
	case cfg.Public, cfg.keyAuth():
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
	return c.listCommand("idp clients list [--json]", "list registered clients", func(ctx context.Context, store *storage.Store) (listing, error) {
		list, err := store.Clients.List(ctx)
		if err != nil {
			return listing{}, fmt.Errorf("list clients: %w", err)
		}
		l := listing{header: []string{"ID", "NAME", "AUTH METHOD", "GRANT TYPES", "REDIRECT URIS"}}
		items := make([]clientJSON, 0, len(list))
		for _, cl := range list {
			l.rows = append(l.rows, []string{cl.ID, cl.Name, cl.TokenEndpointAuthMethod,
				strings.Join(cl.GrantTypes, ","), strings.Join(cl.RedirectURIs, " ")})
			items = append(items, newClientJSON(cl))
		}
		l.items = items
		return l, nil
	})
}

// clientJSON is a registration in idp clients list --json, with the names
// of the bootstrap file; the secret hash is never printed, only whether
// there is a secret.
type clientJSON struct {
	ID                      string   `json:"id"`
	Name                    string   `json:"name"`
	Public                  bool     `json:"public"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	RedirectURIs            []string `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	Scopes                  []string `json:"scopes"`
	Audience                []string `json:"audience"`
	SkipConsent             bool     `json:"skip_consent"`
	AllowPlainOAuth         bool     `json:"allow_plain_oauth"`
	DPoPBoundAccessTokens   bool     `json:"dpop_bound_access_tokens"`
	BackchannelLogoutURI    string   `json:"backchannel_logout_uri"`
	Introspection           string   `json:"introspection"`
	IDTokenAlg              string   `json:"id_token_signed_response_alg,omitempty"`
	AccessTokenAlg          string   `json:"access_token_signed_response_alg,omitempty"`
	// JWKS is the inline key set as registered (public keys only).
	JWKS                        json.RawMessage `json:"jwks,omitempty"`
	JWKSURI                     string          `json:"jwks_uri,omitempty"`
	TokenEndpointAuthSigningAlg string          `json:"token_endpoint_auth_signing_alg,omitempty"`
	RequirePAR                  bool            `json:"require_pushed_authorization_requests"`
	CreatedAt                   time.Time       `json:"created_at"`
	UpdatedAt                   time.Time       `json:"updated_at"`
}

func newClientJSON(cl idp.Client) clientJSON {
	list := func(l []string) []string { return append([]string{}, l...) } // [] rather than null
	return clientJSON{
		ID: cl.ID, Name: cl.Name, Public: cl.Public(), TokenEndpointAuthMethod: cl.TokenEndpointAuthMethod,
		RedirectURIs: list(cl.RedirectURIs), PostLogoutRedirectURIs: list(cl.PostLogoutRedirectURIs),
		GrantTypes: list(cl.GrantTypes), ResponseTypes: list(cl.ResponseTypes), Scopes: list(cl.Scopes),
		Audience: list(cl.Audience), SkipConsent: cl.SkipConsent, AllowPlainOAuth: cl.AllowPlainOAuth,
		BackchannelLogoutURI: cl.BackchannelLogoutURI, Introspection: cl.Introspection,
		IDTokenAlg: cl.IDTokenSignedResponseAlg, AccessTokenAlg: cl.AccessTokenSignedResponseAlg,
		DPoPBoundAccessTokens: cl.DPoPBoundAccessTokens,
		JWKS:                  json.RawMessage(cl.JWKS), JWKSURI: cl.JWKSURI,
		TokenEndpointAuthSigningAlg: cl.TokenEndpointAuthSigningAlg, RequirePAR: cl.RequirePAR,
		CreatedAt: cl.CreatedAt, UpdatedAt: cl.UpdatedAt,
	}
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
