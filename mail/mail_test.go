package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	testUser = "idp"
	testPass = "s3cret-smtp-password"
)

// testServer is an in-process SMTP server that records what it saw.
type testServer struct {
	addr string
	mu   sync.Mutex
	got  []got
	srv  *smtp.Server
}

type got struct {
	tls      bool
	authUser string
	rcpt     []string
	data     string
}

type session struct {
	s   *testServer
	c   *smtp.Conn
	cur got
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != testUser || pass != testPass {
			return errors.New("bad credentials")
		}
		s.cur.authUser = user
		return nil
	}), nil
}
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.rcpt = append(s.cur.rcpt, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, _ := io.ReadAll(r)
	s.cur.data = string(b)
	_, s.cur.tls = s.c.TLSConnectionState()
	s.s.mu.Lock()
	s.s.got = append(s.s.got, s.cur)
	s.s.mu.Unlock()
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// newServer serves SMTP on host:0; with cert, STARTTLS is offered (or,
// implicit, the listener is TLS from the first byte).
func newServer(t *testing.T, host string, cert *tls.Certificate, implicit bool) *testServer {
	t.Helper()
	s := &testServer{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, c: c}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	var l net.Listener
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("listen on %s: %v", host, err)
	}
	if cert != nil {
		cfg := &tls.Config{Certificates: []tls.Certificate{*cert}}
		if implicit {
			l = tls.NewListener(l, cfg)
		} else {
			s.srv.TLSConfig = cfg
		}
	}
	s.addr = l.Addr().String()
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

func (s *testServer) messages() []got {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]got(nil), s.got...)
}

// selfSigned is a certificate for 127.0.0.1 and its pool.
func selfSigned(t *testing.T, hosts ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range hosts {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(h))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func message(to string) Message {
	return Message{To: netmail.Address{Name: "Alice", Address: to}, Subject: "Hello", Text: "text body\n", HTML: "<p>html body</p>\n"}
}

func sender(t *testing.T, url string, pool *x509.CertPool) *Sender {
	t.Helper()
	cfg := Config{URL: url, From: "IdP <idp@example.com>", Timeout: 10 * time.Second}
	if pool != nil {
		cfg.TLS = &tls.Config{RootCAs: pool}
	}
	s, err := NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSendSTARTTLS: a server offering STARTTLS gets the mail over TLS,
// authenticated.
func TestSendSTARTTLS(t *testing.T) {
	cert, pool := selfSigned(t, "127.0.0.1")
	srv := newServer(t, "127.0.0.1", &cert, false)
	s := sender(t, "smtp://"+testUser+":"+testPass+"@"+srv.addr, pool)
	for range 2 {
		if err := s.Send(t.Context(), message("alice@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range srv.messages() {
		if !m.tls || m.authUser != testUser || len(m.rcpt) != 1 || m.rcpt[0] != "alice@example.com" {
			t.Fatalf("got %+v", m)
		}
	}
}

// TestSendImplicitTLS: smtps speaks TLS from the first byte.
func TestSendImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t, "127.0.0.1")
	srv := newServer(t, "127.0.0.1", &cert, true)
	s := sender(t, "smtps://"+testUser+":"+testPass+"@"+srv.addr, pool)
	if err := s.Send(t.Context(), message("alice@example.com")); err != nil {
		t.Fatal(err)
	}
	if m := srv.messages(); len(m) != 1 || m[0].authUser != testUser {
		t.Fatalf("got %+v", m)
	}
}

// TestSendUntrustedCertificate: a server whose certificate does not
// verify gets nothing, not even the password.
func TestSendUntrustedCertificate(t *testing.T) {
	cert, _ := selfSigned(t, "127.0.0.1")
	srv := newServer(t, "127.0.0.1", &cert, false)
	s := sender(t, "smtp://"+testUser+":"+testPass+"@"+srv.addr, nil)
	if err := s.Send(t.Context(), message("alice@example.com")); err == nil {
		t.Fatal("sent to a server with an untrusted certificate")
	}
	if len(srv.messages()) != 0 {
		t.Fatal("the server got the mail")
	}
}

// TestSendPlainAuthRefused: the password is never sent in plain text to
// another host: a server without STARTTLS beyond loopback is refused.
func TestSendPlainAuthRefused(t *testing.T) {
	host := nonLoopback(t)
	srv := newServer(t, host, nil, false)
	s := sender(t, "smtp://"+testUser+":"+testPass+"@"+srv.addr, nil)
	err := s.Send(t.Context(), message("alice@example.com"))
	if !errors.Is(err, ErrPlainAuth) {
		t.Fatalf("err = %v, want ErrPlainAuth", err)
	}
	if len(srv.messages()) != 0 {
		t.Fatal("the server got the mail")
	}
	// Without credentials the relay may be plain.
	if err := sender(t, "smtp://"+srv.addr, nil).Send(t.Context(), message("alice@example.com")); err != nil {
		t.Fatalf("no credentials: %v", err)
	}
}

// nonLoopback is an address of this machine that is not loopback.
func nonLoopback(t *testing.T) string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil && !ip.IP.IsLoopback() {
			return ip.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address")
	return ""
}

// TestSendSTARTTLSDowngrade: once the server offered STARTTLS, a server
// that stops offering it (a stripped offer) gets nothing.
func TestSendSTARTTLSDowngrade(t *testing.T) {
	cert, pool := selfSigned(t, "127.0.0.1")
	srv := newServer(t, "127.0.0.1", &cert, false)
	s := sender(t, "smtp://"+srv.addr, pool)
	if err := s.Send(t.Context(), message("alice@example.com")); err != nil {
		t.Fatal(err)
	}
	srv.srv.TLSConfig = nil // the attacker strips the offer
	if err := s.Send(t.Context(), message("alice@example.com")); err == nil {
		t.Fatal("sent without TLS after the server had offered it")
	}
	if n := len(srv.messages()); n != 1 {
		t.Fatalf("server got %d mails, want 1", n)
	}
}

// TestPasswordNeverInErrors: neither a bad URL nor a refused login
// repeats the password.
func TestPasswordNeverInErrors(t *testing.T) {
	for _, u := range []string{"smtp://u:" + testPass + "@host:25/path", "ftp://u:" + testPass + "@host", "smtp://u:" + testPass + "@host:25?x=1"} {
		err := Config{URL: u, From: "a@example.com"}.Validate()
		if err == nil || strings.Contains(err.Error(), testPass) {
			t.Errorf("Validate(%q) = %v", Redacted(u), err)
		}
	}
	srv := newServer(t, "127.0.0.1", nil, false)
	s := sender(t, "smtp://"+testUser+":wrong-"+testPass+"@"+srv.addr, nil)
	err := s.Send(t.Context(), message("alice@example.com"))
	if err == nil || strings.Contains(err.Error(), testPass) {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(s.Server(), testPass) {
		t.Fatal("Server() names the password")
	}
}

// TestMessageHeaders: the message is multipart/alternative with both
// parts; a recipient with a line break is refused; a name or subject with
// one cannot add a header.
func TestMessageHeaders(t *testing.T) {
	from, _ := netmail.ParseAddress("IdP <idp@example.com>")
	for _, to := range []string{"a@example.com\r\nBcc: b@example.com", "a@example.com>\r\nBcc: <b@example.com", "Name <a@example.com>", ""} {
		if _, err := (Message{To: netmail.Address{Address: to}}).build(from, time.Now()); !errors.Is(err, ErrBadAddress) {
			t.Errorf("recipient %q: err = %v, want ErrBadAddress", to, err)
		}
	}
	m := Message{To: netmail.Address{Name: "Eve\r\nBcc: x@example.com", Address: "eve@example.com"},
		Subject: "Hi\r\nBcc: y@example.com", Text: "é text", HTML: "<p>html</p>"}
	raw, err := m.build(from, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Header["Bcc"]) != 0 || !strings.HasPrefix(msg.Header.Get("Content-Type"), "multipart/alternative;") {
		t.Fatalf("headers: %v", msg.Header)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") {
			t.Fatalf("a Bcc line: %q", line)
		}
	}
}

// TestQueueBounded: a full queue drops mail instead of growing, and says
// so to the done function; a failed delivery is retried.
func TestQueueBounded(t *testing.T) {
	var mu sync.Mutex
	var fails, sent int
	var outcomes []error
	q := NewQueue(func(context.Context, Message) error {
		mu.Lock()
		defer mu.Unlock()
		if fails < Attempts-1 {
			fails++
			return errors.New("try later")
		}
		sent++
		return nil
	}, slog.New(slog.DiscardHandler), func(_ Job, err error) {
		mu.Lock()
		defer mu.Unlock()
		outcomes = append(outcomes, err)
	})
	q.wait = time.Millisecond
	for i := range QueueSize {
		if !q.Enqueue(Job{Kind: KindReset}) {
			t.Fatalf("job %d refused below the bound", i)
		}
	}
	if q.Enqueue(Job{Kind: KindReset}) {
		t.Fatal("a job past the bound was queued")
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { q.Run(stop); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(outcomes)
		mu.Unlock()
		if n == QueueSize+1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if sent != QueueSize || len(outcomes) != QueueSize+1 || outcomes[0] == nil {
		t.Fatalf("sent %d, outcomes %d (first %v): want %d sent, the dropped one reported first", sent, len(outcomes), outcomes[0], QueueSize)
	}
	for _, err := range outcomes[1:] {
		if err != nil {
			t.Fatalf("a delivered job reported %v", err)
		}
	}
}
