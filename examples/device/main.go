// Command device is a demo of the device authorization grant (RFC 8628),
// as a TV or a command-line tool without a browser would use it: it asks
// the provider (found by discovery) for a code, prints the code and the
// link for the member to open on another screen, polls the token endpoint
// until the member answers, verifies the ID token against the JWKS and
// prints its claims.
//
//	go run ./examples/device
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/peterbourgon/ff/v3"
	"golang.org/x/oauth2"

	"github.com/idp/idp/examples/internal/demo"
)

func main() { demo.Main("device", run) }

// config is what the device needs. Every flag has a DEVICE_* environment
// twin (--client-id and DEVICE_CLIENT_ID).
type config struct {
	Issuer   string
	ClientID string
	// ClientSecret is empty for a public client, as a device usually is:
	// a secret shipped in every copy of a program is no secret.
	ClientSecret string
	Scope        string
}

func parseConfig(args []string) (config, error) {
	fs := flag.NewFlagSet("device", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.Issuer, "issuer", "http://localhost:8080", "issuer URL of the OpenID provider")
	fs.StringVar(&c.ClientID, "client-id", "demo-device", "OAuth client id")
	fs.StringVar(&c.ClientSecret, "client-secret", "", "OAuth client secret (empty: a public client)")
	fs.StringVar(&c.Scope, "scope", "openid profile email offline_access", "space-separated scopes to request")
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("DEVICE")); err != nil {
		return config{}, err
	}
	return c, nil
}

func run(ctx context.Context, args []string, _ *slog.Logger) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	claims, err := signIn(ctx, cfg, os.Stdout)
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(claims, "", "  ")
	fmt.Printf("Signed in. ID token claims:\n%s\n", out)
	return nil
}

// signIn runs the device flow and returns the verified ID token's claims.
// What the member must do is written to w.
func signIn(ctx context.Context, cfg config, w io.Writer) (map[string]any, error) {
	prov, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	ep := prov.Endpoint()
	if ep.DeviceAuthURL == "" {
		return nil, errors.New("the provider advertises no device_authorization_endpoint")
	}
	if cfg.ClientSecret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams // a public client sends its id in the form
	}
	oc := oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: ep, Scopes: strings.Fields(cfg.Scope)}
	da, err := oc.DeviceAuth(ctx)
	if err != nil {
		return nil, fmt.Errorf("device authorization: %w", err)
	}
	fmt.Fprintf(w, "On another device, open %s\nand enter the code %s\n", da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(w, "(or open %s)\n", da.VerificationURIComplete)
	}
	fmt.Fprintln(w, "Waiting for you to allow access...")
	// DeviceAccessToken polls at the interval the provider asked for,
	// slowing down when told to, until an answer or the code's expiry.
	tok, err := oc.DeviceAccessToken(ctx, da)
	if err != nil {
		return nil, fmt.Errorf("waiting for approval: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return nil, errors.New("the token response has no ID token; ask for the openid scope")
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verify ID token: %w", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("ID token claims: %w", err)
	}
	return claims, nil
}
