package provider_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// newPasskeyEnv is newEnv on http://localhost:PORT: a WebAuthn relying
// party id must be a domain, never an IP address.
func newPasskeyEnv(t testing.TB, store *storage.Store, tweak ...func(*provider.Config)) *env {
	t.Helper()
	e := &env{t: t, store: store, secret: []byte("0123456789abcdef0123456789abcdef-test")}
	e.srv, e.issuer = idptest.Listen(t)
	e.issuer = strings.Replace(e.issuer, "127.0.0.1", "localhost", 1)
	e.cfg = provider.Config{Issuer: e.issuer, Store: store, Secret: e.secret, Logger: testLogger(t)}
	for _, f := range tweak {
		f(&e.cfg)
	}
	e.start()
	e.seed()
	return e
}

var b64u = base64.RawURLEncoding

// softKey is a software authenticator (CTAP2-like, user verifying): one
// P-256 credential for one relying party, answering WebAuthn options as a
// browser would after navigator.credentials, with knobs to misbehave.
type softKey struct {
	t       testing.TB
	key     *ecdsa.PrivateKey
	id      []byte
	handle  []byte // the user handle it stored at creation
	count   uint32
	rpID    string
	origin  string
	backups bool // backup eligible (a synced passkey)
}

func newSoftKey(t testing.TB, issuer string) *softKey {
	t.Helper()
	u, err := url.Parse(issuer)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{t: t, key: k, id: id, rpID: u.Hostname(), origin: u.Scheme + "://" + u.Host}
}

func (k *softKey) flags(extra byte) byte {
	f := byte(0x01 | 0x04) // UP, UV
	if k.backups {
		f |= 0x08
	}
	return f | extra
}

func (k *softKey) authData(flags byte, count uint32) []byte {
	h := sha256.Sum256([]byte(k.rpID))
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, count)
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// create answers creation options (the JSON the page embeds).
func (k *softKey) create(options string) string {
	k.t.Helper()
	var o struct {
		Challenge string `json:"challenge"`
		User      struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		k.t.Fatalf("creation options %q: %v", options, err)
	}
	handle, err := b64u.DecodeString(o.User.ID)
	if err != nil {
		k.t.Fatal(err)
	}
	k.handle = handle
	k.count = 1
	pub := k.key.PublicKey
	x, y := make([]byte, 32), make([]byte, 32)
	pub.X.FillBytes(x)
	pub.Y.FillBytes(y)
	cose := append([]byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20}, x...)
	cose = append(append(cose, 0x22, 0x58, 0x20), y...)
	ad := k.authData(k.flags(0x40), k.count) // AT
	ad = append(ad, make([]byte, 16)...)     // AAGUID
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(k.id)))
	ad = append(append(ad, k.id...), cose...)
	att := []byte{0xa3, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e', 0x67, 'a', 't', 't', 'S', 't', 'm', 't', 0xa0,
		0x68, 'a', 'u', 't', 'h', 'D', 'a', 't', 'a', 0x59}
	att = binary.BigEndian.AppendUint16(att, uint16(len(ad)))
	att = append(att, ad...)
	resp := map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"clientExtensionResults": map[string]any{}, "authenticatorAttachment": "platform",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(clientData("webauthn.create", o.Challenge, k.origin)),
			"attestationObject": b64u.EncodeToString(att), "transports": []string{"internal"}}}
	b, _ := json.Marshal(resp)
	return string(b)
}

// assertion is an answer to request options, built step by step so a
// test can tamper with any part before signing.
type assertion struct {
	challenge, typ, origin string
	flags                  byte
	count                  uint32
	handle, id             []byte
}

// answer returns the assertion k would give for options, counting up.
func (k *softKey) answer(options string) *assertion {
	k.t.Helper()
	var o struct {
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		k.t.Fatalf("request options %q: %v", options, err)
	}
	k.count++
	return &assertion{challenge: o.Challenge, typ: "webauthn.get", origin: k.origin, flags: k.flags(0), count: k.count,
		handle: k.handle, id: k.id}
}

// sign returns the assertion as the JSON passkey.js posts.
func (k *softKey) sign(a *assertion) string {
	k.t.Helper()
	cd := clientData(a.typ, a.challenge, a.origin)
	ad := k.authData(a.flags, a.count)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	resp := map[string]any{"id": b64u.EncodeToString(a.id), "rawId": b64u.EncodeToString(a.id), "type": "public-key",
		"clientExtensionResults": map[string]any{}, "authenticatorAttachment": "platform",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(ad),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString(a.handle)}}
	b, _ := json.Marshal(resp)
	return string(b)
}

// passkeyForm is the passkey form of a page: its action's hidden fields
// and the options it embeds.
type passkeyForm struct {
	fields  url.Values
	options string
}

// passkeyFormOf finds the form carrying attribute data (data-passkey-get
// or data-passkey-create) on pg.
func passkeyFormOf(t testing.TB, pg *page, data string) passkeyForm {
	t.Helper()
	var found *html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" && attr(n, data) != "" {
			found = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(pg.doc)
	if found == nil {
		t.Fatalf("no form with %s on the page (status %d): %s", data, pg.resp.StatusCode, pg.body)
	}
	f := passkeyForm{fields: url.Values{}, options: attr(found, data)}
	for _, in := range formInputs(found) {
		if in.typ == "hidden" {
			f.fields.Set(in.name, in.value)
		}
	}
	return f
}

// post sends the form's hidden fields with the credential and more fields.
func (b *browser) postPasskey(path string, f passkeyForm, credential string, more url.Values) *page {
	b.t.Helper()
	vals := url.Values{}
	for k, v := range f.fields {
		vals[k] = v
	}
	vals.Set("credential", credential)
	for k, v := range more {
		vals[k] = v
	}
	req, err := http.NewRequest(http.MethodPost, b.e.issuer+path, strings.NewReader(vals.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// registerSoftKey signs b in as user at the account page and registers k
// there under name.
func (e *env) registerSoftKey(b *browser, k *softKey, user, pass, name string) *page {
	e.t.Helper()
	pg := b.get(e.issuer + "/account/passkeys")
	if pg.isLogin() {
		pg = b.submit(pg, url.Values{"username": {user}, "password": {pass}}, "", "")
	}
	f := passkeyFormOf(e.t, pg, "data-passkey-create")
	return b.postPasskey("/account/passkeys", f, k.create(f.options), url.Values{"name": {name}})
}
