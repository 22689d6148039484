// Package templates embeds the provider's pages: login, consent, logout,
// error, and the stylesheet they share. The provider parses them once at
// start, so a broken template stops start-up rather than a login.
package templates

import "embed"

// FS holds every page (*.html) and the stylesheet (style.css).
//
//go:embed *.html style.css
var FS embed.FS
