package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode"
)

// Message is one mail to one person.
type Message struct {
	// To is the recipient. Its Name is shown in the To header; control
	// characters in it are dropped, so a name cannot add header lines.
	To      mail.Address
	Subject string
	// Text and HTML are the two renderings of the body.
	Text, HTML string
}

// ErrBadAddress is a recipient that is no plain address.
var ErrBadAddress = errors.New("mail: recipient is not a plain address")

// build renders m as RFC 5322 text with CRLF line ends. Every header value
// is either fixed, an address net/mail re-encodes, or RFC 2047-encoded
// text with its control characters dropped: nothing a member typed can end
// a header line. The recipient address itself must parse as exactly the
// address it is.
func (m Message) build(from *mail.Address, now time.Time) ([]byte, error) {
	a, err := mail.ParseAddress(m.To.Address)
	if err != nil || a.Address != m.To.Address || hasControl(m.To.Address) {
		return nil, ErrBadAddress
	}
	to := mail.Address{Name: stripControl(m.To.Name), Address: a.Address}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	hdr := []struct{ k, v string }{
		{"From", from.String()},
		{"To", to.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", stripControl(m.Subject))},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		// Tells auto-responders not to answer (RFC 3834 §5).
		{"Auto-Submitted", "auto-generated"},
		{"Content-Type", "multipart/alternative; boundary=" + mw.Boundary()},
	}
	var head bytes.Buffer
	for _, h := range hdr {
		fmt.Fprintf(&head, "%s: %s\r\n", h.k, h.v)
	}
	head.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(crlf(part.body))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return append(head.Bytes(), buf.Bytes()...), nil
}

// crlf makes every line end CRLF, as SMTP wants.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func hasControl(s string) bool { return strings.IndexFunc(s, unicode.IsControl) >= 0 }

// stripControl drops control characters (CR, LF, NUL, ...), which have
// no place in a one-line header value.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
