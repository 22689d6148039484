// Package mail sends the provider's own mail (password reset, address
// verification, invitations) over SMTP: submission with STARTTLS when the
// server offers it (RFC 3207) or implicit TLS (smtps, RFC 8314), a
// plain-text and an HTML part (multipart/alternative, RFC 2046 §5.1.4)
// rendered from embedded templates, and headers that no member-controlled
// value can add to. Queue delivers outside the request that asked for the
// mail. It knows nothing of members or tokens: callers give it addresses
// and template data.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Config is where and as whom mail is sent.
type Config struct {
	// URL is smtp://[user:pass@]host[:port] (port 587 by default;
	// STARTTLS when the server offers it) or smtps://[user:pass@]host[:port]
	// (port 465, implicit TLS).
	URL string
	// From is the sender address (RFC 5322 mailbox: "Name <addr>" or addr).
	From string
	// TLS is the TLS configuration for STARTTLS and smtps; nil verifies the
	// server against the system roots. Tests give their own roots.
	TLS *tls.Config
	// Timeout bounds one delivery: connection, dialogue and message.
	Timeout time.Duration
}

// DefaultTimeout bounds one delivery: a submission server answers in
// seconds; a minute lets a slow one finish without holding the queue.
const DefaultTimeout = time.Minute

// server is the parsed URL.
type server struct {
	implicitTLS bool
	host, addr  string
	user, pass  string
	auth        bool
}

// Redacted is u without its password, for errors and logs.
func Redacted(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

func parseURL(raw string) (server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url's errors quote the whole URL, password included.
		return server{}, errors.New("not a URL")
	}
	var s server
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, s.implicitTLS = "465", true
	default:
		return server{}, fmt.Errorf("scheme %q: want smtp or smtps", u.Scheme)
	}
	if u.Hostname() == "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return server{}, fmt.Errorf("%s: want %s://[user:password@]host[:port] and nothing more", Redacted(raw), u.Scheme)
	}
	if u.Port() != "" {
		port = u.Port()
	}
	s.host = u.Hostname()
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		s.auth = s.user != ""
	}
	return s, nil
}

// Validate reports every problem with c at once, naming the settings as
// the command line does; the password of the URL never appears.
func (c Config) Validate() error {
	var errs []error
	if _, err := parseURL(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("smtp url: %w", err))
	}
	if _, err := parseFrom(c.From); err != nil {
		errs = append(errs, fmt.Errorf("mail from: %w", err))
	}
	return errors.Join(errs...)
}

func parseFrom(from string) (*mail.Address, error) {
	if from == "" {
		return nil, errors.New("required with the smtp url")
	}
	if hasControl(from) {
		return nil, errors.New("must not contain control characters")
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%q is not an address: %w", from, err)
	}
	return a, nil
}

// Sender delivers messages to one submission server.
type Sender struct {
	cfg  Config
	srv  server
	from *mail.Address
	// sawTLS remembers that the server offered STARTTLS: from then on a
	// connection without it is refused, so an attacker on the path cannot
	// strip the offer to read the next mail (a downgrade).
	sawTLS chan struct{}
}

// NewSender checks cfg and returns its sender.
func NewSender(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	srv, _ := parseURL(cfg.URL)
	from, _ := parseFrom(cfg.From)
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Sender{cfg: cfg, srv: srv, from: from, sawTLS: make(chan struct{})}, nil
}

// Server names the server for logs: scheme, host and port, never the
// credentials.
func (s *Sender) Server() string {
	scheme := "smtp"
	if s.srv.implicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + s.srv.addr
}

// ErrPlainAuth is the refusal to send a password over a connection that is
// neither TLS nor to this host.
var ErrPlainAuth = errors.New("mail: the server offers no TLS; refusing to send the SMTP password in plain text to a host other than this one")

// Send delivers m. It connects, upgrades with STARTTLS when the server
// offers it (and refuses a server that stopped offering it), authenticates
// when the URL has credentials (never in plain text beyond loopback), and
// submits the message. Errors never carry the password.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := m.build(s.from, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, err := s.connect(ctx)
	if err != nil {
		return fmt.Errorf("mail: %s: %w", s.Server(), err)
	}
	defer c.Close()
	if err := s.submit(c, m.To.Address, msg); err != nil {
		return fmt.Errorf("mail: %s: %w", s.Server(), err)
	}
	return nil
}

func (s *Sender) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLS != nil {
		cfg = s.cfg.TLS.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.srv.host
	}
	return cfg
}

// connect opens the dialogue, over TLS where there is any.
func (s *Sender) connect(ctx context.Context) (*smtp.Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.srv.addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if s.srv.implicitTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		return smtp.NewClient(tc), nil
	}
	select {
	case <-s.sawTLS:
		// go-smtp fails unless the server offers STARTTLS.
		c, err := smtp.NewClientStartTLS(conn, s.tlsConfig())
		if err != nil {
			return nil, fmt.Errorf("STARTTLS, offered before, failed: %w", err)
		}
		return c, nil
	default:
	}
	c := smtp.NewClient(conn)
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return c, nil
	}
	// go-smtp upgrades only a fresh client: say goodbye and start over
	// with STARTTLS, now and on every later connection.
	_ = c.Quit()
	s.markTLS()
	conn, err = d.DialContext(ctx, "tcp", s.srv.addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	return smtp.NewClientStartTLS(conn, s.tlsConfig())
}

func (s *Sender) markTLS() {
	select {
	case <-s.sawTLS:
	default:
		close(s.sawTLS)
	}
}

// submit authenticates if configured and sends one message to rcpt.
func (s *Sender) submit(c *smtp.Client, rcpt string, msg []byte) error {
	if s.srv.auth {
		if _, isTLS := c.TLSConnectionState(); !isTLS && !loopback(s.srv.host) {
			return ErrPlainAuth
		}
		if err := c.Auth(sasl.NewPlainClient("", s.srv.user, s.srv.pass)); err != nil {
			return fmt.Errorf("authenticate as %q: %w", s.srv.user, err)
		}
	}
	if err := c.Mail(s.from.Address, nil); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// loopback reports whether host is this machine: a password sent to it
// in plain text never crosses a network.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
