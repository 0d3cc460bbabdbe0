package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/updraft-dev/updraft/internal/fn"
)

// ServerConfig tunes the SMTP server.
type ServerConfig struct {
	Listen string // host:port
	// TLSCert and TLSKey are PEM files; with them the server offers
	// STARTTLS.
	TLSCert, TLSKey string
	// MaxBytes is the largest message accepted (0: DefaultMaxBytes).
	MaxBytes int64
	// Domain is the host name the server greets with (default "updraft").
	Domain string
	Log    *slog.Logger
}

// Timeouts of a connection: a client must send a command (or a chunk of
// data) within readTimeout, and take a reply within writeTimeout.
const (
	readTimeout    = 2 * time.Minute
	writeTimeout   = time.Minute
	deliverTimeout = time.Minute
	maxLineLength  = 2000 // RFC 5321 allows 1000; go-smtp's default doubles it
)

// Server is the SMTP intake: it refuses unknown recipients and oversized
// messages, and answers 250 only once Service.Deliver has stored a message
// and its invocations.
type Server struct {
	svc  *Service
	cfg  ServerConfig
	srv  *smtp.Server
	ln   net.Listener
	done chan error
	log  *slog.Logger

	mu      sync.Mutex
	closing bool
	busy    sync.WaitGroup // sessions inside DATA
}

// NewServer builds the server; its certificate is read now, so a bad one
// fails the start.
func NewServer(svc *Service, cfg ServerConfig) (*Server, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Domain == "" {
		cfg.Domain = "updraft"
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	s := &Server{svc: svc, cfg: cfg, log: log.With("component", "smtp")}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = cfg.Domain
	srv.MaxMessageBytes = cfg.MaxBytes
	srv.MaxRecipients = MaxRecipients
	srv.MaxLineLength = maxLineLength
	srv.ReadTimeout, srv.WriteTimeout = readTimeout, writeTimeout
	srv.ErrorLog = slogPrinter{s.log}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("mail: STARTTLS needs both a certificate and a key (--smtp-tls-cert and --smtp-tls-key)")
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("mail: load the SMTP certificate %s and key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.srv = srv
	return s, nil
}

// Start listens and serves in the background.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("mail: listen for SMTP on %s: %w", s.cfg.Listen, err)
	}
	s.ln = ln
	s.done = make(chan error, 1)
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
			err = nil
		}
		s.done <- err
	}()
	s.log.Info("smtp listening", "addr", ln.Addr().String(), "starttls", s.srv.TLSConfig != nil, "max_bytes", s.cfg.MaxBytes)
	return nil
}

// Addr is the address the server listens on ("" before Start).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops accepting, lets messages being received and stored finish
// until ctx is done, then closes every connection (idle ones at once). A
// message whose 250 was not sent is not accepted: its client sends it
// again.
func (s *Server) Close(ctx context.Context) error {
	if s.ln == nil {
		return nil
	}
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	err := s.ln.Close()
	idle := make(chan struct{})
	go func() { s.busy.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-ctx.Done():
		s.log.Warn("closing SMTP connections with messages still being stored: their clients send them again", "err", ctx.Err())
	}
	if cerr := s.srv.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && !errors.Is(cerr, smtp.ErrServerClosed) && err == nil {
		err = cerr
	}
	if serr := <-s.done; serr != nil && err == nil {
		err = serr
	}
	s.ln = nil
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// enter counts a session into DATA unless the server is closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.busy.Add(1)
	return true
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

// session is one SMTP transaction's state.
type session struct {
	srv    *Server
	conn   *smtp.Conn
	from   string
	routes []Route
	rcpts  []string
}

func (ss *session) Reset() {
	ss.from, ss.routes, ss.rcpts = "", nil, nil
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	// The SIZE parameter is checked by go-smtp against MaxMessageBytes
	// (552 5.3.4) before this is called.
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	addr, err := normalizeAddress(to)
	if err != nil {
		return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax: " + err.Error()}
	}
	for _, r := range ss.rcpts {
		if r == addr {
			return nil // named twice: delivered once
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), deliverTimeout)
	defer cancel()
	route, err := ss.srv.svc.routes.Match(ctx, addr)
	if err != nil {
		ss.srv.log.Error("mail route lookup failed", "recipient", addr, "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure looking up the recipient: try again later"}
	}
	if route == nil {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable: no mail route for " + addr}
	}
	ss.routes = append(ss.routes, *route)
	ss.rcpts = append(ss.rcpts, addr)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if !ss.srv.enter() {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Shutting down: try again later"}
	}
	defer ss.srv.busy.Done()
	received := time.Now()
	data, err := io.ReadAll(r)
	if err != nil {
		if errors.Is(err, smtp.ErrTooLongLine) {
			return &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
				Message: fmt.Sprintf("Line too long: lines have at most %d characters", maxLineLength)}
		}
		return err // ErrDataTooLarge: 552 5.3.4
	}
	id := NewMessageID()
	raw := append([]byte(ss.traceHeaders(id, received)), data...)
	ctx, cancel := context.WithTimeout(context.Background(), deliverTimeout)
	defer cancel()
	err = ss.srv.svc.Deliver(ctx, id, Envelope{From: ss.from, Routes: ss.routes, Rcpts: ss.rcpts, Raw: raw, Received: received})
	if errors.Is(err, errMalformed) {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refused: " + err.Error()}
	}
	if err != nil && fn.AsError(err).Status == http.StatusRequestEntityTooLarge {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message refused: its event is too large"}
	}
	if err != nil {
		ss.srv.log.Error("mail not accepted", "message_id", id, "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "The message could not be stored: try again later"}
	}
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ok " + id}
}

// traceHeaders are the Return-Path and Received lines a receiving server
// puts in front of the message (RFC 5321 4.4).
func (ss *session) traceHeaders(id string, at time.Time) string {
	remote := ""
	if c := ss.conn.Conn(); c != nil {
		remote = c.RemoteAddr().String()
	}
	with := "ESMTP"
	if _, ok := ss.conn.TLSConnectionState(); ok {
		with = "ESMTPS"
	}
	rcpt := ""
	if len(ss.rcpts) == 1 {
		rcpt = " for <" + ss.rcpts[0] + ">"
	}
	return "Return-Path: <" + clean(ss.from) + ">\r\n" +
		"Received: from " + clean(ss.conn.Hostname()) + " (" + remote + ") by " + ss.srv.cfg.Domain + " with " + with + " id " + id + rcpt +
		"; " + at.UTC().Format(time.RFC1123Z) + "\r\n"
}

// clean drops spaces, control characters and parentheses, so that what a
// client sent cannot break a trace header.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '(' || r == ')' || r == '<' || r == '>' {
			return -1
		}
		return r
	}, s)
}

// slogPrinter carries go-smtp's error log into slog: a client's broken
// connection is routine (debug), a recovered panic is not (error).
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) { p.emit(fmt.Sprintf(format, v...)) }
func (p slogPrinter) Println(v ...any)               { p.emit(strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

func (p slogPrinter) emit(msg string) {
	if strings.Contains(msg, "panic") {
		p.log.Error(msg)
		return
	}
	p.log.Debug(msg)
}
