// Package templates embeds the provider's pages: login, consent, logout,
// error, the form_post response with its submitting script, and the
// stylesheet they share. The provider parses them once at
// start, so a broken template stops start-up rather than a login.
package templates

import "embed"

// FS holds every page (*.html), the stylesheet (style.css) and the
// form_post script (form_post.js), the passkey script (passkey.js), and
// the mail the provider sends (mail/*.txt and mail/*.html, package mail).
//
//go:embed *.html style.css form_post.js passkey.js mail/*.txt mail/*.html
var FS embed.FS
