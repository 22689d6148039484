// Package idp holds the domain types of the identity provider: members,
// clients, browser sessions, consents, login flows and signing keys, and the
// sentinel errors every layer shares.
//
// It depends on nothing but the standard library. The storage, provider,
// clients and cmd packages point at it; it never points back, so the rules of
// the domain can be read without knowing how they are stored or served.
package idp
