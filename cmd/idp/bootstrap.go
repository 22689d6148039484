package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/members"
	"github.com/idp/idp/mfa"
	"gopkg.in/yaml.v3"
)

// bootstrapFile is the YAML format of --bootstrap: clients and members the
// provider must have when it starts. Unknown keys are refused, so a
// misspelt setting is not silently ignored.
type bootstrapFile struct {
	Clients []bootstrapClient `yaml:"clients"`
	Members []bootstrapMember `yaml:"members"`
}

type bootstrapClient struct {
	ID                      string   `yaml:"id"`
	Name                    string   `yaml:"name"`
	Secret                  string   `yaml:"secret"`
	TokenEndpointAuthMethod string   `yaml:"token_endpoint_auth_method"`
	RedirectURIs            []string `yaml:"redirect_uris"`
	PostLogoutRedirectURIs  []string `yaml:"post_logout_redirect_uris"`
	GrantTypes              []string `yaml:"grant_types"`
	Scopes                  []string `yaml:"scopes"`
	Audience                []string `yaml:"audience"`
	SkipConsent             bool     `yaml:"skip_consent"`
	AllowPlainOAuth         bool     `yaml:"allow_plain_oauth"`
	BackchannelLogoutURI    string   `yaml:"backchannel_logout_uri"`
	Introspection           string   `yaml:"introspection"`
	// JWKS is an inline JWK set (a YAML mapping with "keys"), stored as
	// JSON; JWKSURI names where the set is fetched instead.
	JWKS                         map[string]any `yaml:"jwks"`
	JWKSURI                      string         `yaml:"jwks_uri"`
	TokenEndpointAuthSigningAlg  string         `yaml:"token_endpoint_auth_signing_alg"`
	RequirePAR                   bool           `yaml:"require_pushed_authorization_requests"`
	RequireMFA                   bool           `yaml:"require_mfa"`
	DPoPBoundAccessTokens        bool           `yaml:"dpop_bound_access_tokens"`
	IDTokenSignedResponseAlg     string         `yaml:"id_token_signed_response_alg"`
	AccessTokenSignedResponseAlg string         `yaml:"access_token_signed_response_alg"`
	// InsecureDemoSecret exempts the secret from clients.MinSecretLength.
	// It exists for demo files whose secrets are public anyway, and says
	// so where anyone reading the file sees it.
	InsecureDemoSecret bool `yaml:"insecure_demo_secret"`
}

type bootstrapMember struct {
	Email    string `yaml:"email"`
	Username string `yaml:"username"`
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
	Role     string `yaml:"role"`
	// EmailVerified vouches for the address (the email_verified claim).
	// Applying the file never withdraws a verification: false or absent
	// leaves a stored member's as it is.
	EmailVerified bool `yaml:"email_verified"`
	// MFARequired makes the member enrol a second factor at their next
	// sign-in.
	MFARequired bool `yaml:"mfa_required"`
	// TOTPSecret gives the member a confirmed authenticator (base32): for
	// demos and tests only, like a demo password — a real secret is never
	// written into a file.
	TOTPSecret string `yaml:"totp_secret"`
	// The standard claims sit beside the other fields, named as in
	// tokens. An entry without any keeps the profile stored since (see
	// members.Service.Upsert).
	bootstrapProfile `yaml:",inline"`
}

// bootstrapProfile is a member's standard claims (OpenID Connect Core
// §5.1); package members validates them.
type bootstrapProfile struct {
	GivenName           string            `yaml:"given_name"`
	FamilyName          string            `yaml:"family_name"`
	MiddleName          string            `yaml:"middle_name"`
	Nickname            string            `yaml:"nickname"`
	Picture             string            `yaml:"picture"`
	Website             string            `yaml:"website"`
	Gender              string            `yaml:"gender"`
	Birthdate           string            `yaml:"birthdate"`
	Zoneinfo            string            `yaml:"zoneinfo"`
	Locale              string            `yaml:"locale"`
	PhoneNumber         string            `yaml:"phone_number"`
	PhoneNumberVerified bool              `yaml:"phone_number_verified"`
	Address             *bootstrapAddress `yaml:"address"`
}

type bootstrapAddress struct {
	Formatted     string `yaml:"formatted"`
	StreetAddress string `yaml:"street_address"`
	Locality      string `yaml:"locality"`
	Region        string `yaml:"region"`
	PostalCode    string `yaml:"postal_code"`
	Country       string `yaml:"country"`
}

func (p bootstrapProfile) profile() idp.Profile {
	out := idp.Profile{GivenName: p.GivenName, FamilyName: p.FamilyName, MiddleName: p.MiddleName, Nickname: p.Nickname,
		Picture: p.Picture, Website: p.Website, Gender: p.Gender, Birthdate: p.Birthdate, Zoneinfo: p.Zoneinfo,
		Locale: p.Locale, PhoneNumber: p.PhoneNumber, PhoneNumberVerified: p.PhoneNumberVerified}
	if a := p.Address; a != nil {
		out.Address = &idp.Address{Formatted: a.Formatted, StreetAddress: a.StreetAddress, Locality: a.Locality,
			Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
	}
	return out
}

// bootstrap is a parsed and validated bootstrap file. Secrets and passwords
// are kept in the clear only until applied, which hashes them.
type bootstrap struct {
	clients []bootstrapEntry[idp.Client]
	members []bootstrapEntry[idp.Member]
	// demoApps are the front pages (first post-logout redirect URI) of
	// the clients with public demo secrets: where someone trying the demo
	// goes once it runs, which serve's start line names.
	demoApps []string
	// factors seals totp_secret values; set when the file is applied.
	factors *mfa.Factors
}

// bootstrapEntry is a client with its secret or a member with its password,
// and the label of the entry in the file for messages.
type bootstrapEntry[T any] struct {
	label  string // e.g. "clients[0] (demo-rp)"
	value  T
	secret string
	// totp is a member's totp_secret, normalised.
	totp string
}

// parseBootstrap decodes and validates a bootstrap file. name labels every
// error, which also names the entry and the field, e.g.
// "bootstrap.yaml: clients[0] (demo-rp): redirect_uris[0]: ...". Every
// problem is reported at once.
func parseBootstrap(name string, data []byte) (*bootstrap, error) {
	var f bootstrapFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: want a single YAML document", name)
	}
	var b bootstrap
	var errs []error
	ids := map[string]string{}
	for i, fc := range f.Clients {
		e := bootstrapEntry[idp.Client]{label: fmt.Sprintf("clients[%d] (%s)", i, fc.ID), value: fc.client(), secret: fc.Secret}
		for _, err := range splitErrors(clients.Validate(e.value)) {
			errs = append(errs, fmt.Errorf("%s: %s: %w", name, e.label, err))
		}
		if fc.Secret != "" && !fc.InsecureDemoSecret {
			if err := clients.CheckSecret(fc.Secret); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w (or mark a public demo secret insecure_demo_secret: true)",
					name, e.label, err))
			}
		}
		errs = append(errs, unique(ids, fc.ID, name, e.label, "id")...)
		b.clients = append(b.clients, e)
		if fc.InsecureDemoSecret && len(fc.PostLogoutRedirectURIs) > 0 {
			b.demoApps = append(b.demoApps, fc.PostLogoutRedirectURIs[0])
		}
	}
	emails, usernames := map[string]string{}, map[string]string{}
	for i, fm := range f.Members {
		e := bootstrapEntry[idp.Member]{label: fmt.Sprintf("members[%d] (%s)", i, fm.Email), value: fm.member(), secret: fm.Password}
		var totpErr error
		if fm.TOTPSecret != "" {
			if e.totp, totpErr = mfa.NormalizeSecret(fm.TOTPSecret); totpErr != nil {
				totpErr = fmt.Errorf("totp_secret: %w", totpErr)
			}
		}
		for _, err := range append(members.Check(e.value, members.Field), members.CheckPassword(fm.Password, "password"), totpErr) {
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", name, e.label, err))
			}
		}
		errs = append(errs, unique(emails, strings.ToLower(fm.Email), name, e.label, "email")...)
		errs = append(errs, unique(usernames, fm.Username, name, e.label, "username")...)
		b.members = append(b.members, e)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &b, nil
}

// unique records key for label in seen and refuses it if an earlier entry
// has it already.
func unique(seen map[string]string, key, file, label, field string) []error {
	if key == "" {
		return nil
	}
	if first, ok := seen[key]; ok {
		return []error{fmt.Errorf("%s: %s: %s: duplicate of %s", file, label, field, first)}
	}
	seen[key] = label
	return nil
}

// client returns the registration the entry describes, with the defaults
// filled. A confidential client has clients.PendingHash until it is applied.
func (fc bootstrapClient) client() idp.Client {
	c := idp.Client{
		ID:                           fc.ID,
		Name:                         fc.Name,
		RedirectURIs:                 fc.RedirectURIs,
		PostLogoutRedirectURIs:       fc.PostLogoutRedirectURIs,
		GrantTypes:                   fc.GrantTypes,
		Scopes:                       fc.Scopes,
		Audience:                     fc.Audience,
		TokenEndpointAuthMethod:      fc.TokenEndpointAuthMethod,
		SkipConsent:                  fc.SkipConsent,
		AllowPlainOAuth:              fc.AllowPlainOAuth,
		BackchannelLogoutURI:         fc.BackchannelLogoutURI,
		Introspection:                fc.Introspection,
		JWKS:                         jwksJSON(fc.JWKS),
		JWKSURI:                      fc.JWKSURI,
		TokenEndpointAuthSigningAlg:  fc.TokenEndpointAuthSigningAlg,
		RequirePAR:                   fc.RequirePAR,
		RequireMFA:                   fc.RequireMFA,
		DPoPBoundAccessTokens:        fc.DPoPBoundAccessTokens,
		IDTokenSignedResponseAlg:     fc.IDTokenSignedResponseAlg,
		AccessTokenSignedResponseAlg: fc.AccessTokenSignedResponseAlg,
	}
	clients.Prepare(&c, fc.Secret != "")
	return c
}

func (fm bootstrapMember) member() idp.Member {
	m := idp.Member{Email: fm.Email, Username: fm.Username, Name: fm.Name, Role: idp.Role(fm.Role),
		EmailVerified: fm.EmailVerified, MFARequired: fm.MFARequired, Profile: fm.bootstrapProfile.profile()}
	members.Normalize(&m)
	return m
}

// jwksJSON stores an inline key set as the JSON the client rules and the
// token endpoint read; a set YAML cannot express as JSON (a non-string
// key) is kept as its failure text, which the client rules then refuse.
func jwksJSON(set map[string]any) string {
	if len(set) == 0 {
		return ""
	}
	b, err := json.Marshal(set)
	if err != nil {
		return "invalid: " + err.Error()
	}
	return string(b)
}
