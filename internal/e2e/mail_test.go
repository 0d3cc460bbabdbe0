package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// serveMail starts `updraft serve --smtp-listen smtpAddr` and waits until
// the API answers /healthz.
func serveMail(t *testing.T, bin string, env []string, addr, smtpAddr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--smtp-listen", smtpAddr)
	cmd.Env = env
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState != nil {
			return
		}
		// A graceful stop unmounts what the instances used, so the
		// temp dir can be removed.
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("updraft serve did not become healthy in 30s")
	return nil
}

// sendPlain sends one message without TLS.
func sendPlain(addr, to, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail("a@example.org", []string{to}, strings.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

// TestMailAcceptedSurvivesSIGKILL: a message answered 250 whose function
// could not run yet (reserved concurrency 0) is delivered after the
// server is killed with SIGKILL and started again. Everything is done
// with the updraft CLI, as a user would.
func TestMailAcceptedSurvivesSIGKILL(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "updraft")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	addr, smtpAddr := freePort(t), freePort(t)
	env := append(os.Environ(), "UPDRAFT_LISTEN="+addr, "UPDRAFT_ENDPOINT=http://"+addr, "UPDRAFT_DATA_DIR="+filepath.Join(work, "data"))
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("updraft %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	srv := serveMail(t, bin, env, addr, smtpAddr)
	// examples/mail-to-ticket declares help@example.com and
	// @support.example.com in its updraft.yaml.
	run("deploy", filepath.Join(moduleRoot(t), "examples", "mail-to-ticket"))
	run("concurrency", "mail-to-ticket", "--reserved", "0")
	if out := run("mail", "route", "add", "Inbox@Example.com", "mail-to-ticket"); !strings.Contains(out, "mail for inbox@example.com goes to mail-to-ticket") {
		t.Fatalf("mail route add: %s", out)
	}
	out := run("mail", "route", "ls")
	for _, want := range []string{"@support.example.com  mail-to-ticket  yaml:mail-to-ticket", "help@example.com      mail-to-ticket  yaml:mail-to-ticket", "inbox@example.com     mail-to-ticket  api"} {
		if !strings.Contains(out, want) {
			t.Fatalf("mail route ls lacks %q:\n%s", want, out)
		}
	}
	if err := sendPlain(smtpAddr, "help@example.com", "From: Ada <ada@example.org>\r\nSubject: Server down\r\n\r\nhelp\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()

	serveMail(t, bin, env, addr, smtpAddr)
	if out := run("logs", "mail-to-ticket"); strings.Contains(out, "TICKET") {
		t.Fatalf("the throttled function ran before it was allowed: %s", out)
	}
	run("concurrency", "mail-to-ticket", "--delete")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out := run("logs", "mail-to-ticket")
		if strings.Contains(out, `"queue": "help", "requester": "Ada <ada@example.org>", "subject": "Server down", "priority": "high"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message accepted before SIGKILL was not delivered after the restart; logs:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	run("mail", "route", "rm", "inbox@example.com")
	if err := sendPlain(smtpAddr, "inbox@example.com", "Subject: x\r\n\r\n"); err == nil {
		t.Fatal("mail to a removed route was accepted")
	}
}
