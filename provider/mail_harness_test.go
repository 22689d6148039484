package provider_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/idp/idp/provider"
)

// mailbox is a real SMTP server on a loopback port that keeps every
// message it is given, as the provider's mail server.
type mailbox struct {
	t    testing.TB
	addr string
	mu   sync.Mutex
	msgs []received
}

// received is one message as the server got it.
type received struct {
	from, user string
	rcpt       []string
	data       []byte
}

const (
	mailUser = "idp"
	mailPass = "smtp-password-0123456789"
)

func newMailbox(t testing.TB) *mailbox {
	t.Helper()
	mb := &mailbox{t: t}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true // loopback: the provider allows it too
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return mb
}

// withMail points the provider at mb.
func withMail(mb *mailbox) func(*provider.Config) {
	return func(c *provider.Config) {
		c.SMTPURL = "smtp://" + mailUser + ":" + mailPass + "@" + mb.addr
		c.MailFrom = "Identity <idp@example.com>"
	}
}

type mailSession struct {
	mb  *mailbox
	cur received
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != mailUser || pass != mailPass {
			return errors.New("bad credentials")
		}
		s.cur.user = user
		return nil
	}), nil
}
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.cur.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.rcpt = append(s.cur.rcpt, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, s.cur)
	s.mb.mu.Unlock()
	s.cur = received{user: s.cur.user}
	return nil
}
func (s *mailSession) Reset()        { s.cur = received{user: s.cur.user} }
func (s *mailSession) Logout() error { return nil }

// count is how many messages arrived.
func (mb *mailbox) count() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return len(mb.msgs)
}

// next waits for message number n (from 1) and returns it.
func (mb *mailbox) next(n int) received {
	mb.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mb.mu.Lock()
		if len(mb.msgs) >= n {
			m := mb.msgs[n-1]
			mb.mu.Unlock()
			return m
		}
		mb.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	mb.t.Fatalf("mail %d did not arrive (have %d)", n, mb.count())
	return received{}
}

// quiet waits a moment and fails if more than n messages arrived.
func (mb *mailbox) quiet(n int) {
	mb.t.Helper()
	time.Sleep(300 * time.Millisecond)
	if got := mb.count(); got != n {
		mb.t.Fatalf("%d mails arrived, want %d", got, n)
	}
}

// mailParts is a parsed message: its headers and both bodies.
type mailParts struct {
	header     netmail.Header
	text, html string
}

func (r received) parse(t testing.TB) mailParts {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(r.data))
	if err != nil {
		t.Fatalf("read mail: %v\n%s", err, r.data)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("mail Content-Type %q: want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	out := mailParts{header: msg.Header}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("mail part: %v", err)
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			out.text = string(b)
		case "text/html":
			out.html = string(b)
		}
	}
	if out.text == "" || out.html == "" {
		t.Fatalf("mail lacks a text or an HTML part:\n%s", r.data)
	}
	return out
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)

// link is the one link of the mail's text part; the HTML part must link
// to the same place.
func (m mailParts) link(t testing.TB) string {
	t.Helper()
	links := linkPattern.FindAllString(m.text, -1)
	if len(links) != 1 {
		t.Fatalf("want one link in the mail, got %q:\n%s", links, m.text)
	}
	if !strings.Contains(m.html, `href="`+strings.ReplaceAll(links[0], "&", "&amp;")+`"`) {
		t.Fatalf("the HTML part does not link to %s:\n%s", links[0], m.html)
	}
	return links[0]
}
