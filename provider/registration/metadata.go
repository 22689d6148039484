package registration

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
)

// maxMetadataBytes bounds a registration request's body. A client's
// metadata (ten redirect URIs, a name, a few grant types and scopes) fits
// in a few kilobytes; 16 KiB leaves room and keeps what an anonymous
// caller makes the provider parse, and so store, small. Unknown fields
// are ignored, not stored, so the stored client is smaller still.
const maxMetadataBytes = 16 << 10

// metadata is the client metadata the provider reads and returns (RFC 7591
// §2, OpenID Connect Registration 1.0 §2 and RP-Initiated and Back-Channel
// Logout). Every other field is ignored, as RFC 7591 §2 requires of
// metadata a server does not understand. Lists keep nil (absent) apart
// from empty, so an absent grant_types gets the default.
type metadata struct {
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI    string   `json:"backchannel_logout_uri,omitempty"`
	// IDTokenSignedResponseAlg (OpenID Connect Registration §2) and
	// AccessTokenSignedResponseAlg (RFC 9068 §3's registration parameter)
	// pick RS256, ES256 or EdDSA; empty means RS256.
	IDTokenSignedResponseAlg     string `json:"id_token_signed_response_alg,omitempty"`
	AccessTokenSignedResponseAlg string `json:"access_token_signed_response_alg,omitempty"`
}

// request is what a registration or update request carries: the
// metadata, and for an update the client_id it must repeat (RFC 7592
// §2.2).
type request struct {
	metadata
	ClientID string `json:"client_id"`
}

// fieldNames maps the registration rules' field names (the bootstrap
// file's) to the metadata names a registering client sent.
var fieldNames = map[string]string{"name": "client_name", "scopes": "scope", "id": "client_id"}

// metadataError is a 400 answer of RFC 7591 §3.2.2: Code is
// invalid_redirect_uri or invalid_client_metadata, Description names
// every bad field.
type metadataError struct {
	Code        string
	Description string
}

func (e *metadataError) Error() string { return e.Code + ": " + e.Description }

func invalidMetadata(format string, args ...any) *metadataError {
	return &metadataError{Code: "invalid_client_metadata", Description: fmt.Sprintf(format, args...)}
}

// errTooLarge means the body exceeded maxMetadataBytes.
var errTooLarge = errors.New("the request body is larger than 16 KiB")

// decode reads a JSON metadata document from r's body.
func decode(w http.ResponseWriter, r *http.Request) (request, error) {
	var req request
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return req, invalidMetadata("the request body must be a JSON document (Content-Type: application/json)")
	}
	if r.ContentLength > maxMetadataBytes {
		return req, errTooLarge
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxMetadataBytes))
	err := dec.Decode(&req)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("data after the JSON object")
	}
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return req, nil
	case errors.As(err, &tooLarge):
		return req, errTooLarge
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return req, invalidMetadata("%s: must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	}
	return req, invalidMetadata("the request body is not a JSON object: %v", err)
}

// jsonKind names a Go kind the way a JSON author would.
func jsonKind(kind string) string {
	switch kind {
	case "slice":
		return "array of strings"
	case "string":
		return "string"
	}
	return kind
}

// client turns the metadata into a registration for the rules, with the
// id given and the defaults of package clients. confidential decides
// whether the client gets a secret. An absent or blank scope asks for the
// whole allow-list.
func (m metadata) client(id string, confidential bool, allowed []string) idp.Client {
	c := idp.Client{
		ID: id, Name: m.ClientName, RedirectURIs: m.RedirectURIs, PostLogoutRedirectURIs: m.PostLogoutRedirectURIs,
		GrantTypes: m.GrantTypes, ResponseTypes: m.ResponseTypes, TokenEndpointAuthMethod: m.TokenEndpointAuthMethod,
		BackchannelLogoutURI: m.BackchannelLogoutURI, Scopes: allowed,
		IDTokenSignedResponseAlg: m.IDTokenSignedResponseAlg, AccessTokenSignedResponseAlg: m.AccessTokenSignedResponseAlg,
	}
	if strings.TrimSpace(m.Scope) != "" {
		c.Scopes = []string{}
		// Split on the space alone (RFC 6749 §3.3): a tab stays inside
		// a scope, which the rules then refuse.
		for _, s := range strings.Split(m.Scope, " ") {
			if s != "" {
				c.Scopes = append(c.Scopes, s)
			}
		}
	}
	clients.Prepare(&c, confidential)
	return c
}

// confidential reports whether metadata asks for a client with a secret:
// every method but none; an absent method means client_secret_basic, the
// default of RFC 7591 §2.
func (m metadata) confidential() bool { return m.TokenEndpointAuthMethod != idp.AuthMethodNone }

// check applies every registration rule to c and returns nil or a
// *metadataError describing each broken rule by its metadata name.
func check(c idp.Client, allowed []string) error {
	err := errors.Join(clients.Validate(c), clients.ValidateSelfRegistered(c, allowed))
	if err == nil {
		return nil
	}
	out := &metadataError{Code: "invalid_client_metadata"}
	var msgs []string
	for _, e := range flatten(err) {
		var fe *clients.FieldError
		if !errors.As(e, &fe) {
			msgs = append(msgs, e.Error())
			continue
		}
		field := fe.Field
		base, index, _ := strings.Cut(field, "[")
		if name, ok := fieldNames[base]; ok {
			field = name
			if base != "scopes" && index != "" {
				field += "[" + index
			}
		}
		if base == "redirect_uris" {
			out.Code = "invalid_redirect_uri"
		}
		msgs = append(msgs, field+": "+fe.Msg)
	}
	out.Description = strings.Join(msgs, "; ")
	return out
}

// flatten returns the leaves of a tree of joined errors.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// describe returns the metadata of a stored client, as the responses
// carry it (RFC 7591 §3.2.1: the registered values, defaults included).
func describe(c idp.Client) metadata {
	return metadata{
		RedirectURIs: c.RedirectURIs, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		GrantTypes: c.GrantTypes, ResponseTypes: c.ResponseTypes, ClientName: c.Name,
		Scope: strings.Join(c.Scopes, " "), PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		BackchannelLogoutURI:     c.BackchannelLogoutURI,
		IDTokenSignedResponseAlg: c.IDTokenSignedResponseAlg, AccessTokenSignedResponseAlg: c.AccessTokenSignedResponseAlg,
	}
}
