package web

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Brand is the organisation shown on every page: its name, its logo
// (served at LogoPath) and its accent colour (in BrandCSSPath).
type Brand struct {
	Name string
	// Logo is the image file's content, LogoType its media type.
	Logo     []byte
	LogoType string
	// Color is the accent colour, "#rrggbb" or "#rgb"; empty keeps the
	// stylesheet's.
	Color string
}

// Paths the brand is served at.
const (
	BrandCSSPath = "/static/brand.css"
	LogoPath     = "/static/logo"
)

// MaxLogoBytes bounds the logo file: a logo shown at 48 pixels needs a few
// kilobytes; 256 KiB allows a detailed SVG and keeps every page's image
// request cheap to serve from memory.
const MaxLogoBytes = 256 << 10

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// CheckColor checks an accent colour: "#rgb" or "#rrggbb".
func CheckColor(c string) error {
	if !hexColor.MatchString(c) {
		return fmt.Errorf("%q is not a hex colour (#rgb or #rrggbb)", c)
	}
	return nil
}

// ReadLogo reads a logo file and names its type from its first bytes:
// PNG, JPEG, WebP or SVG, at most MaxLogoBytes. Anything else is refused,
// so the provider never serves a file whose type it guessed wrong.
func ReadLogo(path string) (data []byte, mediaType string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, MaxLogoBytes+1))
	if err != nil {
		return nil, "", err
	}
	if len(data) > MaxLogoBytes {
		return nil, "", fmt.Errorf("%s is larger than %d KiB", path, MaxLogoBytes>>10)
	}
	if mediaType = logoType(data); mediaType == "" {
		return nil, "", fmt.Errorf("%s is not a PNG, JPEG, WebP or SVG image", path)
	}
	return data, mediaType, nil
}

func logoType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	// SVG is text: an optional XML declaration, comments or doctype, then
	// the svg element.
	head := strings.ToLower(string(b[:min(len(b), 1024)]))
	head = strings.TrimPrefix(head, "\ufeff")
	if strings.HasPrefix(strings.TrimSpace(head), "<") && strings.Contains(head, "<svg") {
		return "image/svg+xml"
	}
	return ""
}

// brandCSS is the generated stylesheet of the accent colour: the colour
// and the text colour readable on it (black or white, whichever contrasts
// more), so a light accent still gets legible buttons. An accent under
// 3:1 against a white page (WCAG 2.2 §1.4.11) would make the focus ring
// invisible in light mode, which then keeps the default ring.
func brandCSS(color string) []byte {
	if color == "" {
		return []byte("/* no accent colour set: style.css's applies */\n")
	}
	lum := luminance(parseHex(color))
	on := "#fff"
	if contrast(lum, 0) > contrast(lum, 1) {
		on = "#000"
	}
	css := fmt.Appendf(nil, ":root { --accent: %s; --on-accent: %s; }\n", strings.ToLower(color), on)
	if contrast(lum, 1) < 3 {
		css = append(css, "@media (prefers-color-scheme: light) { :root { --focus: #1f5fbf; } }\n"...)
	}
	return css
}

func parseHex(c string) (r, g, b uint8) {
	c = strings.TrimPrefix(c, "#")
	if len(c) == 3 {
		c = string([]byte{c[0], c[0], c[1], c[1], c[2], c[2]})
	}
	v, _ := strconv.ParseUint(c, 16, 32)
	return uint8(v >> 16), uint8(v >> 8), uint8(v)
}

// luminance is WCAG 2's relative luminance of an sRGB colour.
func luminance(r, g, b uint8) float64 {
	ch := func(c uint8) float64 {
		v := float64(c) / 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(r) + 0.7152*ch(g) + 0.0722*ch(b)
}

// contrast is WCAG 2's contrast ratio of two luminances.
func contrast(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return (a + 0.05) / (b + 0.05)
}

// serveBrand serves the logo and the brand stylesheet from memory. A logo
// is only ever shown as an image: an SVG opened directly gets a sandbox
// and no script, so a logo with a script in it cannot act on the
// provider's origin.
func (k *Kit) serveBrand(w http.ResponseWriter, r *http.Request, body []byte, mediaType string) {
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Cache-Control", "public, max-age=3600")
	if mediaType == "image/svg+xml" {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	}
	_, _ = w.Write(body)
}

// BrandRoutes registers the brand's static files: the stylesheet always,
// the logo when there is one.
func (k *Kit) BrandRoutes(handle func(path string, h http.HandlerFunc)) {
	css := brandCSS(k.cfg.Brand.Color)
	handle(BrandCSSPath, func(w http.ResponseWriter, r *http.Request) {
		k.serveBrand(w, r, css, "text/css; charset=utf-8")
	})
	if len(k.cfg.Brand.Logo) > 0 {
		handle(LogoPath, func(w http.ResponseWriter, r *http.Request) {
			k.serveBrand(w, r, k.cfg.Brand.Logo, k.cfg.Brand.LogoType)
		})
	}
}
