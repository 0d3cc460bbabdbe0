package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium (or Chrome) binary: $UPDRAFT_CHROMIUM, else
// the usual names on $PATH.
func chromium() string {
	if p := os.Getenv("UPDRAFT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshotDir is $UPDRAFT_SCREENSHOTS, else the test's artifact
// directory (kept with go test -artifacts).
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("UPDRAFT_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

// page drives one browser tab.
type page struct {
	t   *testing.T
	ctx context.Context
	dir string

	mu     sync.Mutex
	errors []string // uncaught exceptions and console.error calls
}

func (p *page) run(what string, actions ...chromedp.Action) {
	p.t.Helper()
	if err := chromedp.Run(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v%s", what, err, p.state())
	}
}

// state describes the page after a failure, and saves its screenshot.
func (p *page) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	var png []byte
	var url, body string
	_ = chromedp.Run(ctx, chromedp.Location(&url), chromedp.Evaluate(`document.body.innerText`, &body), chromedp.FullScreenshot(&png, 100))
	if len(png) > 0 {
		_ = os.WriteFile(filepath.Join(p.dir, "failure.png"), png, 0o644)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("\npage %s (failure.png in %s), errors %q, text:\n%s", url, p.dir, p.errors, body)
}

// text is the trimmed text of the first element matching sel, once it is visible.
func (p *page) text(sel string) string {
	p.t.Helper()
	var s string
	p.run("read "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Text(sel, &s, chromedp.ByQuery))
	return strings.TrimSpace(s)
}

// until waits for a JavaScript expression to be true.
func (p *page) until(what, expr string) {
	p.t.Helper()
	var ok bool
	p.run(what, chromedp.Poll(expr, &ok, chromedp.WithPollingTimeout(45*time.Second)))
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	var png []byte
	p.run("screenshot "+name, chromedp.FullScreenshot(&png, 100))
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

func newPage(t *testing.T, exe string) *page {
	// Chromium's helper processes may still write into their profile for
	// a moment after the browser is stopped, so the profile is not a
	// t.TempDir (whose removal would then fail the test): it is removed
	// after the browser, best effort.
	profile, err := os.MkdirTemp("", "updraft-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900), chromedp.UserDataDir(profile))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	p := &page{t: t, ctx: ctx, dir: screenshotDir(t)}
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				msg = "console.error"
				for _, a := range ev.Args {
					msg += " " + string(a.Value) + a.Description
				}
			}
		}
		if msg != "" {
			p.mu.Lock()
			p.errors = append(p.errors, msg)
			p.mu.Unlock()
		}
	})
	return p
}

// awsCall sends one AWS-protocol request with the bearer key, as the page does.
func awsCall(t *testing.T, base, key, target, ctype, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", ctype)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func browse(t *testing.T, base, key string, ids []string, wantCost string) {
	exe := chromium()
	if exe == "" {
		t.Skip("no Chromium found (chromium, chromium-browser, google-chrome or $UPDRAFT_CHROMIUM): " +
			"the dashboard's browser test did not run; apt-get install chromium")
	}
	if code := awsCall(t, base, key, "sns.CreateTopic", "application/x-www-form-urlencoded", "Action=CreateTopic&Name=orders"); code != 200 {
		t.Fatalf("create topic with the page's bearer form of SNS: %d", code)
	}
	p := newPage(t, exe)

	// A wrong key is refused with the server's reason; the right one signs in.
	p.run("open", chromedp.Navigate(base+"/ui/functions/hello"), chromedp.WaitVisible("#api-key", chromedp.ByQuery),
		chromedp.SendKeys("#api-key", "upd_wrong", chromedp.ByQuery), chromedp.Click(".signin button.primary", chromedp.ByQuery))
	p.until("the refusal", `document.querySelector('.signin .error').textContent.startsWith('Sign-in failed')`)
	p.screenshot("signin.png")
	p.run("sign in", chromedp.SetValue("#api-key", key, chromedp.ByQuery), chromedp.Click(".signin button.primary", chromedp.ByQuery))

	// Sign-in keeps the page asked for: the function's page, with both calls,
	// their log lines and their cost.
	for _, id := range ids {
		p.run("the invocation "+id, chromedp.WaitVisible(`tr[data-request-id="`+id+`"]`, chromedp.ByQuery))
	}
	if got := p.text(`tr[data-request-id="` + ids[0] + `"] td[data-label="Start"]`); !strings.HasPrefix(got, "cold") {
		t.Errorf("first call's start: %q, want cold", got)
	}
	for _, who := range []string{"ada", "grace"} {
		p.until("the log line of "+who, fmt.Sprintf(`[...document.querySelectorAll('.logs li')].some(l => l.textContent.includes('dashboard-marker {"who": "%s"}'))`, who))
	}
	p.until("the REPORT line", `[...document.querySelectorAll('.logs li')].some(l => l.textContent.includes('REPORT RequestId: `+ids[1]+`'))`)
	if got := p.text(`[data-stat="Cost"] .stat-value`); got != wantCost {
		t.Errorf("function page cost: %q, want %q", got, wantCost)
	}
	if got := p.text(`[data-stat="Invocations"] .stat-value`); got != "2" {
		t.Errorf("function page invocations: %q, want 2", got)
	}
	p.until("the charts", `document.querySelectorAll('.chart svg rect.bar').length >= 1 && document.querySelectorAll('.chart svg circle.dot').length >= 2`)
	p.until("the configuration", `document.querySelector('[aria-labelledby="h-configuration"] dl.kv').textContent.includes('app.handler')`)
	p.until("the versions", `document.body.textContent.includes('$LATEST')`)
	p.screenshot("function.png")

	// The functions list: last hour's figures per function.
	p.run("functions list", chromedp.Click(`#nav a[href="/ui/functions"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`a[href="/ui/functions/hello"]`, chromedp.ByQuery))
	row := `a[href="/ui/functions/hello"]`
	p.until("list figures", `(() => { const r = document.querySelector('`+row+`').closest('tr');
		return r.querySelector('td[data-label="Invocations (1 h)"]').textContent === '2' &&
			r.querySelector('td[data-label="Errors (1 h)"]').textContent === '0' &&
			r.querySelector('td[data-label="Cost (1 h)"]').textContent === '`+wantCost+`' &&
			r.querySelector('td[data-label="p99 (1 h)"]').textContent.endsWith('ms'); })()`)
	p.screenshot("functions.png")

	// Usage and cost per function.
	p.run("usage", chromedp.Click(`#nav a[href="/ui/usage"]`, chromedp.ByQuery))
	if got := p.text(`td[data-label="Total"]`); got != wantCost {
		t.Errorf("usage page total: %q, want %q", got, wantCost)
	}
	p.screenshot("usage.png")

	// The navigation offers what the server serves, and nothing it does not.
	var nav []string
	p.run("nav", chromedp.Evaluate(`[...document.querySelectorAll('#nav a')].map(a => a.textContent)`, &nav))
	want := []string{"Functions", "Usage & cost", "Queues", "Topics"}
	if awsCall(t, base, key, "DynamoDB_20120810.ListTables", "application/x-amz-json-1.0", "{}") == 200 {
		want = append(want, "Tables")
	}
	for _, s := range []struct{ label, path string }{{"Buckets", "/v1/buckets"}, {"Routes", "/v1/routes"}, {"Schedules", "/v1/schedules"}, {"Mail routes", "/v1/mail/routes"}} {
		if getJSON(t, base+s.path, key, nil) == 200 {
			want = append(want, s.label)
		}
	}
	if strings.Join(nav, "|") != strings.Join(want, "|") {
		t.Errorf("navigation: %q, want %q", nav, want)
	}
	p.run("queues", chromedp.Click(`#nav a[href="/ui/queues"]`, chromedp.ByQuery))
	if got := p.text(`td[data-label="Name"]`); got != "jobs" {
		t.Errorf("queues page: %q, want jobs", got)
	}
	p.run("topics", chromedp.Click(`#nav a[href="/ui/topics"]`, chromedp.ByQuery))
	if got := p.text(`td[data-label="Name"]`); got != "orders" {
		t.Errorf("topics page: %q, want orders", got)
	}

	// The invoke box: the new call shows its result, then joins the history.
	p.run("function page", chromedp.Navigate(base+"/ui/functions/hello"), chromedp.WaitVisible("#invoke-event", chromedp.ByQuery),
		chromedp.SetValue("#invoke-event", `{"who": "linus"}`, chromedp.ByQuery),
		chromedp.Click(`#invoke-event ~ .actions button`, chromedp.ByQuery))
	p.until("the invoke result", `(document.querySelector('[data-invoked]') || {}).textContent > ''`)
	newID := p.text(`[data-invoked]`)
	if out := p.text(`.invoke-result pre.out`); !strings.Contains(out, "hello linus") {
		t.Errorf("invoke result: %q", out)
	}
	p.run("the new call in the history", chromedp.WaitVisible(`tr[data-request-id="`+newID+`"]`, chromedp.ByQuery))

	// A phone's screen: one column, tables as stacked cards.
	p.run("phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(`tr[data-request-id="`+newID+`"]`, chromedp.ByQuery))
	var scrollW, clientW int
	p.run("phone width", chromedp.Evaluate(`document.documentElement.scrollWidth`, &scrollW), chromedp.Evaluate(`document.documentElement.clientWidth`, &clientW))
	if scrollW > clientW {
		t.Errorf("on a phone the page scrolls sideways: %d px wide in %d", scrollW, clientW)
	}
	p.screenshot("function-phone.png")

	// An unknown page is the app's own "not found"; signing out forgets the key.
	p.run("unknown page", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/ui/no/such/page"))
	if got := p.text("main h1"); got != "Not found" {
		t.Errorf("unknown page: %q", got)
	}
	var stored string
	p.run("sign out", chromedp.Click(`#account button`, chromedp.ByQuery), chromedp.WaitVisible("#api-key", chromedp.ByQuery),
		chromedp.Evaluate(`sessionStorage.getItem('updraft.apiKey') || ''`, &stored))
	if stored != "" {
		t.Error("the key is still stored after signing out")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errors {
		t.Errorf("page error: %s", e)
	}
}
