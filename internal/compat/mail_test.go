package compat

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/fn"
)

// sesEvent is the part of the SES event the tests read.
type sesEvent struct {
	Records []struct {
		EventSource  string `json:"eventSource"`
		EventVersion string `json:"eventVersion"`
		SES          struct {
			Mail struct {
				Source        string   `json:"source"`
				MessageID     string   `json:"messageId"`
				Destination   []string `json:"destination"`
				Headers       []struct{ Name, Value string }
				CommonHeaders struct {
					ReturnPath string   `json:"returnPath"`
					From       []string `json:"from"`
					To         []string `json:"to"`
					Subject    string   `json:"subject"`
					MessageID  string   `json:"messageId"`
				} `json:"commonHeaders"`
			} `json:"mail"`
			Receipt struct {
				Recipients  []string          `json:"recipients"`
				SpamVerdict map[string]string `json:"spamVerdict"`
				Action      map[string]string `json:"action"`
			} `json:"receipt"`
		} `json:"ses"`
	} `json:"Records"`
}

// ticketZip prints every event it gets as "SES <json>".
func ticketZip(t *testing.T, manifest string) []byte {
	files := map[string]string{"app.py": `import json
def handler(event, context):
    print("SES " + json.dumps(event))
    return {"ok": True}
`}
	if manifest != "" {
		files["updraft.yaml"] = manifest
	}
	return zipOf(t, files)
}

// runMailDaemon starts the real daemon on dir with SMTP on 127.0.0.1:0;
// stop closes it.
func runMailDaemon(t *testing.T, dir string, mut func(*config.Config)) (d *daemon.Daemon, stop func()) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Listen = "127.0.0.1:0"
	cfg.SMTPListen = "127.0.0.1:0"
	cfg.SMTPMaxBytes = 64 << 10
	if mut != nil {
		mut(&cfg)
	}
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("close daemon: %v", err)
		}
	}
	t.Cleanup(stop)
	return d, stop
}

// adminAPI is the admin key's client; key creates a key of tenant.
func adminAPI(t *testing.T, d *daemon.Daemon) *apiclient.Client {
	t.Helper()
	admin, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	return apiclient.New("http://"+d.Addr(), strings.TrimSpace(string(admin)))
}

// sendMail sends one message with the go-smtp client, STARTTLS first
// when tlsCfg is set; the error is the server's refusal, if any.
func sendMail(addr string, tlsCfg *tls.Config, from string, to []string, msg string) error {
	var c *smtp.Client
	var err error
	if tlsCfg != nil {
		c, err = smtp.DialStartTLS(addr, tlsCfg)
	} else {
		c, err = smtp.Dial(addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, to, strings.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

// wantSMTP checks err is an SMTP refusal with code and enhanced code.
func wantSMTP(t *testing.T, what string, err error, code int, enhanced smtp.EnhancedCode) {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != code || se.EnhancedCode != enhanced {
		t.Fatalf("%s: want %d %v, got %v", what, code, enhanced, err)
	}
}

// waitEvents waits until function logged n SES events and returns them.
func waitEvents(t *testing.T, api *apiclient.Client, function string, n int) []sesEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		evs := logged[sesEvent](ctx, t, api, function, "SES ")
		if len(evs) >= n {
			return evs
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s logged %d SES events, want %d", function, len(evs), n)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func deployTickets(ctx context.Context, t *testing.T, api *apiclient.Client, name, manifest string) {
	t.Helper()
	req := apiclient.DeployRequest{Name: name, Runtime: "python3.11", Handler: "app.handler", Zip: ticketZip(t, manifest)}
	if manifest != "" {
		req = apiclient.DeployRequest{Zip: ticketZip(t, manifest)}
	}
	if _, _, err := api.Deploy(ctx, req); err != nil {
		t.Fatal(err)
	}
}

const ticketMail = "From: Jane Doe <jane@example.org>\r\n" +
	"To: help@example.com, someone@support.example.com\r\n" +
	"Subject: =?UTF-8?Q?Printer_on_f=C3=AEre?=\r\n" +
	"Message-ID: <p1@example.org>\r\n" +
	"Date: Sun, 1 Mar 2026 08:29:59 +0000\r\n" +
	"\r\n" +
	"It is on fire.\r\n"

// TestMailToFunction: a routed message reaches its function as SES's
// event, once per function whatever its recipients; the raw message is
// readable; unknown recipients, oversized and malformed messages and
// overlong lines are refused with SMTP's codes; another tenant cannot
// take a route; updraft.yaml's mail triggers come and go with deploys.
func TestMailToFunction(t *testing.T) {
	d, _ := runMailDaemon(t, t.TempDir(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	api := adminAPI(t, d)
	addr := d.SMTPAddr()
	deployTickets(ctx, t, api, "tickets", "")
	if _, err := api.AddMailRoute(ctx, "Help@Example.com", "tickets"); err != nil {
		t.Fatal(err)
	}
	if _, err := api.AddMailRoute(ctx, "@support.example.com", "tickets"); err != nil {
		t.Fatal(err)
	}

	// Python's smtplib, a client of its own, sends to two recipients
	// routed to the same function: one invocation names both.
	script := `import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]))
s.sendmail("jane@example.org", ["help@example.com", "someone@support.example.com"], sys.stdin.read().encode())
s.quit()`
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "-c", script, host, port)
	cmd.Stdin = strings.NewReader(ticketMail)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("smtplib: %v: %s", err, out)
	}
	ev := waitEvents(t, api, "tickets", 1)[0]
	r := ev.Records[0]
	m, rc := r.SES.Mail, r.SES.Receipt
	if len(ev.Records) != 1 || r.EventSource != "aws:ses" || r.EventVersion != "1.0" || m.Source != "jane@example.org" ||
		strings.Join(m.Destination, ",") != "help@example.com,someone@support.example.com" ||
		strings.Join(rc.Recipients, ",") != "help@example.com,someone@support.example.com" ||
		m.CommonHeaders.Subject != "Printer on fîre" || m.CommonHeaders.From[0] != "Jane Doe <jane@example.org>" ||
		len(m.CommonHeaders.To) != 2 || m.CommonHeaders.ReturnPath != "jane@example.org" || m.CommonHeaders.MessageID != "<p1@example.org>" ||
		rc.SpamVerdict["status"] != "DISABLED" || rc.Action["type"] != "Lambda" || rc.Action["invocationType"] != "Event" ||
		!strings.HasPrefix(rc.Action["functionArn"], "arn:aws:lambda:local:") || !strings.HasSuffix(rc.Action["functionArn"], ":function:tickets") ||
		rc.Action["objectKey"] != m.MessageID || rc.Action["bucketName"] != "MAIL_MESSAGES" || len(m.Headers) < 6 || m.Headers[0].Name != "Return-Path" {
		t.Fatalf("event: %+v", ev)
	}
	raw, err := api.MailMessage(ctx, m.MessageID)
	if err != nil || !strings.Contains(string(raw), "\r\n\r\nIt is on fire.\r\n") || !strings.HasPrefix(string(raw), "Return-Path: <jane@example.org>\r\nReceived: from ") {
		t.Fatalf("stored message: %v %q", err, raw)
	}

	// Refusals.
	err = sendMail(addr, nil, "jane@example.org", []string{"nobody@example.com"}, ticketMail)
	wantSMTP(t, "unknown recipient", err, 550, smtp.EnhancedCode{5, 1, 1})
	big := "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 998)+"\r\n", 70)
	err = sendMail(addr, nil, "jane@example.org", []string{"help@example.com"}, big)
	wantSMTP(t, "oversized data", err, 552, smtp.EnhancedCode{5, 3, 4})
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Mail("jane@example.org", &smtp.MailOptions{Size: 1 << 20})
	wantSMTP(t, "SIZE over the limit", err, 552, smtp.EnhancedCode{5, 3, 4})
	_ = c.Close()
	err = sendMail(addr, nil, "jane@example.org", []string{"help@example.com"}, "this is no header\r\n\r\nbody\r\n")
	wantSMTP(t, "malformed header", err, 554, smtp.EnhancedCode{5, 6, 0})
	err = sendMail(addr, nil, "jane@example.org", []string{"help@example.com"}, "Subject: long\r\n\r\n"+strings.Repeat("y", 3000)+"\r\n")
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 500 {
		t.Fatalf("overlong line: %v", err)
	}
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("r%d@support.example.com", i)
	}
	err = sendMail(addr, nil, "jane@example.org", many, ticketMail)
	wantSMTP(t, "51 recipients", err, 452, smtp.EnhancedCode{4, 5, 3})

	// Another tenant can neither take a route nor read the message.
	if _, err := api.CreateTenant(ctx, "team-b", nil); err != nil {
		t.Fatal(err)
	}
	kb, err := api.CreateKey(ctx, "team-b")
	if err != nil {
		t.Fatal(err)
	}
	b := apiclient.New("http://"+d.Addr(), kb.APIKey)
	deployTickets(ctx, t, b, "theirs", "")
	_, err = b.AddMailRoute(ctx, "HELP@example.com", "theirs")
	var ae *apiclient.Error
	if !errors.As(err, &ae) || ae.Status != 409 || ae.Type != fn.TypeResourceConflict {
		t.Fatalf("another tenant's route: %v", err)
	}
	if _, err := b.MailMessage(ctx, m.MessageID); !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("another tenant reads the message: %v", err)
	}
	if routes, err := b.MailRoutes(ctx); err != nil || len(routes) != 0 {
		t.Fatalf("team-b's routes: %+v %v", routes, err)
	}

	// updraft.yaml: type mail routes come with a deploy and go with the
	// next one that no longer declares them.
	deployTickets(ctx, t, api, "", "name: desk\nruntime: python3.11\nhandler: app.handler\ntriggers:\n  - type: mail\n    recipients: [desk@example.com]\n")
	routes, err := api.MailRoutes(ctx)
	if err != nil || len(routes) != 3 || routes[1].Recipient != "desk@example.com" || routes[1].Owner != "yaml:desk" || routes[1].Function != "desk" {
		t.Fatalf("routes after the yaml deploy: %+v %v", routes, err)
	}
	if err := sendMail(addr, nil, "jane@example.org", []string{"desk@example.com"}, ticketMail); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvents(t, api, "desk", 1)[0]; ev.Records[0].SES.Receipt.Recipients[0] != "desk@example.com" {
		t.Fatalf("desk got %+v", ev)
	}
	deployTickets(ctx, t, api, "", "name: desk\nruntime: python3.11\nhandler: app.handler\n")
	err = sendMail(addr, nil, "jane@example.org", []string{"desk@example.com"}, ticketMail)
	wantSMTP(t, "recipient of a removed yaml route", err, 550, smtp.EnhancedCode{5, 1, 1})

	if n := len(waitEvents(t, api, "tickets", 1)); n != 1 {
		t.Fatalf("tickets got %d events, want 1: refused messages reached it", n)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestMailSTARTTLSAndRestart: a message accepted over STARTTLS whose
// function could not run yet (reserved concurrency 0 throttles it) is
// delivered after the server stops and starts again.
func TestMailSTARTTLSAndRestart(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	withTLS := func(c *config.Config) { c.SMTPTLSCert, c.SMTPTLSKey = certFile, keyFile }
	d, stop := runMailDaemon(t, dir, withTLS)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	api := adminAPI(t, d)
	deployTickets(ctx, t, api, "later", "")
	zero := 0
	if _, err := api.PutConcurrency(ctx, "later", fn.Concurrency{Reserved: &zero}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.AddMailRoute(ctx, "@example.net", "later"); err != nil {
		t.Fatal(err)
	}
	tlsCfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	if err := sendMail(d.SMTPAddr(), tlsCfg, "ops@example.org", []string{"night@example.net"}, "Subject: after restart\r\n\r\nhi\r\n"); err != nil {
		t.Fatal(err)
	}
	// A client that does not trust the certificate fails the handshake.
	if err := sendMail(d.SMTPAddr(), &tls.Config{ServerName: "127.0.0.1"}, "ops@example.org", []string{"night@example.net"}, "Subject: x\r\n\r\n"); err == nil {
		t.Fatal("STARTTLS with an untrusted certificate succeeded")
	}
	if evs := logged[sesEvent](ctx, t, api, "later", "SES "); len(evs) != 0 {
		t.Fatalf("the throttled function ran: %+v", evs)
	}
	stop()

	d, _ = runMailDaemon(t, dir, withTLS)
	api = adminAPI(t, d)
	if err := api.DeleteConcurrency(ctx, "later"); err != nil {
		t.Fatal(err)
	}
	ev := waitEvents(t, api, "later", 1)[0]
	r := ev.Records[0].SES
	if r.Mail.CommonHeaders.Subject != "after restart" || r.Receipt.Recipients[0] != "night@example.net" {
		t.Fatalf("after the restart: %+v", ev)
	}
	raw, err := api.MailMessage(ctx, r.Mail.MessageID)
	if err != nil || !strings.Contains(string(raw), " with ESMTPS id "+r.Mail.MessageID) {
		t.Fatalf("stored message: %v %q", err, raw)
	}
}
