package idp

import "time"

// InitialAccessToken lets its bearer register one client at the dynamic
// registration endpoint (RFC 7591 §3) when registration requires a token.
// The token itself is shown once to the operator who created it; only Hash,
// its SHA-256 in hex, is stored, so a copy of the database registers
// nothing.
type InitialAccessToken struct {
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ClientRegistration marks a client as registered through the dynamic
// registration endpoint and holds the hash (SHA-256 hex) of its
// registration access token, the bearer credential of its configuration
// endpoint (RFC 7592 §1.1). Clients registered by the operator have none,
// so they cannot be read, changed or deleted that way.
type ClientRegistration struct {
	ClientID        string
	AccessTokenHash string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}
