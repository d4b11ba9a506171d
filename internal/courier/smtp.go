package courier

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// SMTP delivers email to a mail server (net/smtp): smtp:// upgrades with
// STARTTLS whenever the server offers it, smtps:// speaks TLS from the
// first byte. Credentials are only ever sent over TLS (or to a loopback
// server). A 5xx answer to the recipient or the message is final; any
// other failure is retried.
type SMTP struct {
	addr     string // host:port
	host     string
	implicit bool
	user     string
	pass     string
	from     *mail.Address
	tls      *tls.Config
	hello    string
}

// NewSMTP reads --smtp-url and --smtp-from. tlsConfig, when set, is
// used for the TLS connection (its ServerName is filled in); nil means
// the system's roots.
func NewSMTP(rawURL, from string, tlsConfig *tls.Config) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("smtp-url: %v", err)
	}
	s := &SMTP{}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicit = true
	default:
		return nil, fmt.Errorf("smtp-url must start with smtp:// or smtps://")
	}
	if u.Hostname() == "" || u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, fmt.Errorf("smtp-url must be smtp://[user:pass@]host:port")
	}
	port := u.Port()
	if port == "" {
		port = "587"
		if s.implicit {
			port = "465"
		}
	}
	s.host, s.addr = u.Hostname(), net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if s.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("smtp-from %q is not an email address", from)
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	s.tls = tlsConfig.Clone()
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	s.hello = "localhost"
	if _, dom, ok := strings.Cut(s.from.Address, "@"); ok && dom != "" {
		s.hello = dom
	}
	return s, nil
}

// Name implements Channel.
func (*SMTP) Name() string { return "smtp" }

// Deliver implements Channel: one connection per message, bounded by
// ctx. Delivery is confirmed by the server's answer to the end of DATA.
func (s *SMTP) Deliver(ctx context.Context, m *auth.Message) error {
	msg, err := s.compose(m)
	if err != nil {
		return Permanent(err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if s.implicit {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("smtps handshake: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(s.hello); err != nil {
		return err
	}
	secure := s.implicit
	if !secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tls); err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
			secure = true
		}
	}
	if s.user != "" {
		if !secure && !loopback(s.host) {
			return errors.New("the mail server offers no TLS: credentials are not sent in the clear")
		}
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return classify("MAIL FROM", err)
	}
	if err := c.Rcpt(m.Recipient); err != nil {
		return classify("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil { // the server's verdict on the message
		return classify("end of DATA", err)
	}
	c.Quit() // delivered already; a failed QUIT changes nothing
	return nil
}

// classify makes a 5xx answer final; 4xx and connection failures may
// pass.
func classify(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(fmt.Errorf("%s: %w", step, err))
	}
	return fmt.Errorf("%s: %w", step, err)
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// compose writes the message: plain text, quoted-printable, with a
// Message-ID made from the message's ID so that a receiver can tell a
// repeat.
func (s *SMTP) compose(m *auth.Message) ([]byte, error) {
	if strings.ContainsAny(m.Recipient, "\r\n<>") {
		return nil, fmt.Errorf("invalid recipient")
	}
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	_, domain, _ := strings.Cut(s.from.Address, "@")
	hdr("From", s.from.String())
	hdr("To", (&mail.Address{Address: m.Recipient}).String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", strings.NewReplacer("\r", " ", "\n", " ").Replace(m.Subject)))
	hdr("Date", m.CreatedAt.UTC().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+m.ID+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	hdr("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
