// Package idptest is the test harness every package's tests share: a fresh
// store on each backend, a handler served on a loopback port, seeded members
// and clients, a cookie-keeping browser that signs in through the real login
// and consent pages, PKCE, and form, JSON and JWT helpers.
//
// It does not import provider, so that provider's own tests can use it: the
// caller builds the handler (provider.New, an example app, a fake) and hands
// it to Start or Serve.
package idptest
