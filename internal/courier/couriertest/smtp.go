// Package couriertest runs a real SMTP server on loopback for tests
// (github.com/emersion/go-smtp): plain, STARTTLS or implicit TLS, with or
// without AUTH, that records what it receives and can be told to refuse
// mail for a while, to hold its answer to a message it has received, or
// be stopped and started again on the same port.
package couriertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mode is how the server speaks TLS.
type Mode int

// Modes.
const (
	Plain       Mode = iota // no TLS at all
	StartTLS                // STARTTLS offered
	ImplicitTLS             // TLS from the first byte (smtps://)
)

// Options shape a server.
type Options struct {
	Mode Mode
	// User and Password, when set, are required through AUTH PLAIN.
	User, Password string
}

// Mail is one message received.
type Mail struct {
	From      string
	To        []string
	Raw       string
	Subject   string
	Body      string // decoded
	MessageID string
	TLS       bool // received over TLS
	Authed    bool
}

// Server is an SMTP server on loopback.
type Server struct {
	t      testing.TB
	opt    Options
	addr   string
	cert   tls.Certificate
	caPool *x509.CertPool

	mu      sync.Mutex
	cond    *sync.Cond
	srv     *smtp.Server
	ln      net.Listener
	mails   []Mail
	refuse  int           // an SMTP code to answer DATA with, or 0
	hold    chan struct{} // while set, DATA's answer waits for it to close
	tries   int           // DATA commands seen, refused ones included
	stopped bool
}

// Start runs a server until the test ends.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	s := &Server{t: t, opt: opt}
	s.cond = sync.NewCond(&s.mu)
	s.cert, s.caPool = selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "mx.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = quiet{}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
	switch s.opt.Mode {
	case StartTLS:
		srv.TLSConfig = tlsCfg
	case ImplicitTLS:
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.mu.Lock()
	s.srv, s.ln, s.stopped = srv, ln, false
	s.mu.Unlock()
	go srv.Serve(ln)
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
func (quiet) Println(...any)        {}

// URL is the server as --smtp-url names it, with the credentials.
func (s *Server) URL() string {
	scheme := "smtp"
	if s.opt.Mode == ImplicitTLS {
		scheme = "smtps"
	}
	cred := ""
	if s.opt.User != "" {
		cred = s.opt.User + ":" + s.opt.Password + "@"
	}
	return scheme + "://" + cred + s.addr
}

// ClientTLS is a TLS configuration that trusts the server's certificate.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.caPool, MinVersion: tls.VersionTLS12}
}

// Refuse makes DATA answer code (a 4xx or 5xx) until Refuse(0).
func (s *Server) Refuse(code int) {
	s.mu.Lock()
	s.refuse = code
	s.mu.Unlock()
}

// Hold makes the server take each message whole (it is recorded, and
// Mails and WaitMails return it) but keep its answer to DATA until the
// returned release is called: a sender that dies meanwhile never learns
// that its message arrived. Release runs when the test ends too.
func (s *Server) Hold() (release func()) {
	h := make(chan struct{})
	s.mu.Lock()
	s.hold = h
	s.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			s.mu.Lock()
			if s.hold == h {
				s.hold = nil
			}
			s.mu.Unlock()
			close(h)
		})
	}
	s.t.Cleanup(release)
	return release
}

// Stop closes the server: connections are refused until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln, stopped := s.srv, s.ln, s.stopped
	s.stopped = true
	s.mu.Unlock()
	if !stopped {
		ln.Close() // before Serve may have registered it
		srv.Close()
	}
}

// Restart listens again on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old socket may linger for a moment
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("restart SMTP server on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// Mails returns every message received so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Tries counts the DATA commands seen, refused ones included.
func (s *Server) Tries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries
}

// WaitMails waits until n messages have arrived (at most d) and returns
// them all.
func (s *Server) WaitMails(n int, d time.Duration) []Mail {
	s.t.Helper()
	deadline := time.Now().Add(d)
	timer := time.AfterFunc(d, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.mails) < n {
		if !time.Now().Before(deadline) {
			s.t.Fatalf("SMTP server: %d messages after %s, want %d", len(s.mails), d, n)
		}
		s.cond.Wait()
	}
	return append([]Mail(nil), s.mails...)
}

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

// Code is the six-digit code a message shows.
func Code(t testing.TB, m Mail) string {
	t.Helper()
	c := codeRE.FindString(m.Body)
	if c == "" {
		t.Fatalf("no code in the message to %v: %q", m.To, m.Body)
	}
	return c
}

type session struct {
	s      *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string {
	if x.s.opt.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.opt.User || pass != x.s.opt.Password {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opt.User != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.tries++
	if code := x.s.refuse; code != 0 {
		x.s.mu.Unlock()
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 3, 0}, Message: "not now"}
	}
	_, isTLS := x.conn.TLSConnectionState()
	m := Mail{From: x.from, To: x.to, Raw: string(raw), TLS: isTLS, Authed: x.authed}
	if msg, err := mail.ReadMessage(strings.NewReader(m.Raw)); err == nil {
		dec := new(mime.WordDecoder)
		m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
		m.MessageID = msg.Header.Get("Message-Id")
		body, _ := io.ReadAll(msg.Body)
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body, _ = io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(body))))
		}
		m.Body = string(body)
	}
	x.s.mails = append(x.s.mails, m)
	x.s.cond.Broadcast()
	hold := x.s.hold
	x.s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
