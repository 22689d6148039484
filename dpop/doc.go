// Package dpop checks DPoP proofs (RFC 9449): the signed JWT a client
// sends in the DPoP header to show it holds the private key a token is
// bound to. It parses and verifies one proof against the request it came
// with (Check), computes the key's thumbprint the token's cnf.jkt claim
// names (RFC 7638), and issues and checks stateless server nonces
// (Nonces). It knows nothing of HTTP frameworks, fosite or the store:
// replay detection is the caller's, through the jti and expiry a Proof
// reports, so the rule "one use per jti" lives where the unique index is.
package dpop
