package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

var testZip = []byte("PK\x03\x04 not really a zip")

func TestDeployCreateThenUpdate(t *testing.T) {
	api := newFakeAPI(t)
	c := api.client()
	ctx := context.Background()
	req := DeployRequest{Name: "hello", Runtime: "python3", Handler: "app.handler", Env: map[string]string{"K": "V"}, Zip: testZip}

	f, created, err := c.Deploy(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !created || f.Name != "hello" || f.Runtime != "python3" || f.Revision != 1 || !f.CodeChanged || f.Env["K"] != "V" {
		t.Fatalf("first deploy: created=%v %+v", created, f)
	}
	if f.CodeSize != int64(len(testZip)) || len(f.CodeSHA256) != 64 {
		t.Fatalf("code: size %d sha %q", f.CodeSize, f.CodeSHA256)
	}

	f, created, err = c.Deploy(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if created || f.Revision != 2 || f.CodeChanged {
		t.Fatalf("second deploy: created=%v %+v", created, f)
	}
}

func TestDeployRequestJSON(t *testing.T) {
	data, err := json.Marshal(DeployRequest{Name: "a", MemoryMB: 256, Zip: []byte("zz")})
	if err != nil {
		t.Fatal(err)
	}
	// Zero fields stay out so the server takes them from updraft.yaml.
	const want = `{"name":"a","memory_mb":256,"zip_file":"eno="}`
	if string(data) != want {
		t.Fatalf("got %s, want %s", data, want)
	}
	data, _ = json.Marshal(DeployRequest{Runtime: "node", Handler: "index.handler", TimeoutSec: 9, Env: map[string]string{"A": "1"}, Zip: []byte("zz")})
	const want2 = `{"runtime":"node","handler":"index.handler","timeout_s":9,"env":{"A":"1"},"zip_file":"eno="}`
	if string(data) != want2 {
		t.Fatalf("got %s, want %s", data, want2)
	}
}

func TestDeployEmptyZip(t *testing.T) {
	api := newFakeAPI(t)
	if _, _, err := api.client().Deploy(context.Background(), DeployRequest{Name: "x"}); err == nil {
		t.Fatal("deploy without code succeeded")
	}
}

func TestDeployInvalid(t *testing.T) {
	api := newFakeAPI(t)
	_, _, err := api.client().Deploy(context.Background(), DeployRequest{Name: "x", Runtime: "cobol", Zip: testZip})
	var e *Error
	if !errors.As(err, &e) || e.Status != 400 || e.Type != fn.TypeInvalidParameterValue || !strings.Contains(e.Message, "cobol") {
		t.Fatalf("got %v", err)
	}
}

func TestListGetDelete(t *testing.T) {
	api := newFakeAPI(t)
	c := api.client()
	ctx := context.Background()

	fs, err := c.ListFunctions(ctx)
	if err != nil || fs == nil || len(fs) != 0 {
		t.Fatalf("empty list: %v %v", fs, err)
	}
	for _, n := range []string{"zeta", "alpha"} {
		if _, _, err := c.Deploy(ctx, DeployRequest{Name: n, Runtime: "provided", Zip: testZip}); err != nil {
			t.Fatal(err)
		}
	}
	fs, err = c.ListFunctions(ctx)
	if err != nil || len(fs) != 2 || fs[0].Name != "alpha" || fs[1].Name != "zeta" {
		t.Fatalf("list: %v %v", fs, err)
	}
	f, err := c.GetFunction(ctx, "alpha")
	if err != nil || f.Name != "alpha" || f.MemoryMB != 128 {
		t.Fatalf("get: %+v %v", f, err)
	}
	if err := c.DeleteFunction(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunction(ctx, "alpha")
	if !IsNotFound(err) {
		t.Fatalf("get after delete: %v", err)
	}
	var e *Error
	errors.As(err, &e)
	if e.Status != 404 || e.RequestID == "" || !strings.HasPrefix(e.Error(), "ResourceNotFoundException: Function not found: ") {
		t.Fatalf("error: %#v %q", e, e.Error())
	}
	if err := c.DeleteFunction(ctx, "alpha"); !IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestNameIsEscaped(t *testing.T) {
	api := newFakeAPI(t)
	_, err := api.client().GetFunction(context.Background(), "a/b?c")
	if !IsNotFound(err) {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "a/b?c") {
		t.Fatalf("the server did not see the whole name: %v", err)
	}
}

func TestBadKey(t *testing.T) {
	api := newFakeAPI(t)
	c := New(api.URL, "wrong")
	_, err := c.ListFunctions(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Status != 401 || e.Type != fn.TypeUnrecognizedClient {
		t.Fatalf("got %v", err)
	}
	if err := c.Health(context.Background()); err != nil {
		t.Fatalf("healthz needs no key: %v", err)
	}
}

func TestInvoke(t *testing.T) {
	api := newFakeAPI(t)
	c := api.client()
	ctx := context.Background()
	for _, n := range []string{"echo", "boom"} {
		if _, _, err := c.Deploy(ctx, DeployRequest{Name: n, Runtime: "provided", Zip: testZip}); err != nil {
			t.Fatal(err)
		}
	}

	res, err := c.Invoke(ctx, "echo", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || string(res.Payload) != `{"a":1}` || res.FunctionError != "" || res.RequestID == "" || res.ExecutedVersion != "$LATEST" {
		t.Fatalf("echo: %+v", res)
	}

	res, err = c.Invoke(ctx, "boom", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError != "Unhandled" || !bytes.Contains(res.Payload, []byte(`"errorMessage":"boom"`)) {
		t.Fatalf("boom: %+v %s", res, res.Payload)
	}

	_, err = c.Invoke(ctx, "missing", []byte(`{}`))
	if !IsNotFound(err) {
		t.Fatalf("missing: %v", err)
	}
	_, err = c.Invoke(ctx, "echo", []byte(`not json`))
	var e *Error
	if !errors.As(err, &e) || e.Status != 400 || e.Type != fn.TypeInvalidRequestContent {
		t.Fatalf("not json: %v", err)
	}
	big := append(append([]byte(`"`), bytes.Repeat([]byte("x"), fn.MaxSyncPayload)...), '"')
	_, err = c.Invoke(ctx, "echo", big)
	if !errors.As(err, &e) || e.Status != 413 || e.Type != fn.TypeRequestTooLarge {
		t.Fatalf("too large: %v", err)
	}
}

// TestInvokeKeepAlive checks that concurrent callers reuse connections
// instead of opening one per call (benchmarks depend on it).
func TestInvokeKeepAlive(t *testing.T) {
	api := newFakeAPI(t)
	c := api.client()
	ctx := context.Background()
	if _, _, err := c.Deploy(ctx, DeployRequest{Name: "echo", Runtime: "provided", Zip: testZip}); err != nil {
		t.Fatal(err)
	}
	const workers, calls = 16, 20
	round := func() {
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				for range calls {
					if _, err := c.Invoke(ctx, "echo", []byte(`{}`)); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	// The first round may dial a few more connections than workers (a
	// dial races a connection coming free); the second must find enough
	// idle ones kept alive.
	round()
	warm := api.conns.Load()
	if warm > 2*workers {
		t.Fatalf("%d connections for %d workers: keep-alive is not working", warm, workers)
	}
	round()
	if n := api.conns.Load(); n > warm+2 {
		t.Fatalf("%d more connections in a second round: idle connections are not kept", n-warm)
	}
}

func TestLogs(t *testing.T) {
	api := newFakeAPI(t)
	c := api.client()
	ctx := context.Background()
	if _, _, err := c.Deploy(ctx, DeployRequest{Name: "hello", Runtime: "provided", Zip: testZip}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	api.logs = []fn.LogEntry{
		{Time: t0, Function: "hello", RequestID: "r1", Message: "START RequestId: r1 Version: $LATEST"},
		{Time: t0, Function: "hello", RequestID: "r1", Message: "hi"},
	}
	var got []string
	err := c.Logs(ctx, "hello", "10m", false, func(e fn.LogEntry) error {
		got = append(got, e.Message)
		return nil
	})
	if err != nil || len(got) != 2 || got[1] != "hi" {
		t.Fatalf("logs: %q %v", got, err)
	}
	if s, f := api.lastQuery("since"), api.lastQuery("follow"); s != "10m" || f != "" {
		t.Fatalf("query since=%q follow=%q", s, f)
	}

	stop := errors.New("stop")
	n := 0
	err = c.Logs(ctx, "hello", "", false, func(fn.LogEntry) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("emit error: %v after %d", err, n)
	}

	if err := c.Logs(ctx, "missing", "", false, func(fn.LogEntry) error { return nil }); !IsNotFound(err) {
		t.Fatalf("missing: %v", err)
	}
}

func TestLogsFollow(t *testing.T) {
	api := newFakeAPI(t)
	c := api.client()
	if _, _, err := c.Deploy(context.Background(), DeployRequest{Name: "hello", Runtime: "provided", Zip: testZip}); err != nil {
		t.Fatal(err)
	}
	api.logs = []fn.LogEntry{{Function: "hello", Message: "old"}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []string
	err := c.Logs(ctx, "hello", "", true, func(e fn.LogEntry) error {
		got = append(got, e.Message)
		switch e.Message {
		case "old":
			api.live <- fn.LogEntry{Function: "hello", Message: "new"}
		case "new":
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("follow ended with %v", err)
	}
	if strings.Join(got, ",") != "old,new" {
		t.Fatalf("got %q", got)
	}
	if api.lastQuery("follow") != "1" {
		t.Fatal("follow not sent")
	}
}

func TestUsage(t *testing.T) {
	api := newFakeAPI(t)
	c := api.client()
	api.usage = []fn.UsageSummary{
		{Function: "a", Invocations: 3, Errors: 1, BilledMs: 12, GBs: 0.0015, ColdStarts: 1, DurationMs: 11.5},
		{Function: "b", Invocations: 1},
	}
	us, err := c.Usage(context.Background(), "", "")
	if err != nil || len(us) != 2 || us[0] != api.usage[0] {
		t.Fatalf("usage: %+v %v", us, err)
	}
	us, err = c.Usage(context.Background(), "b", "1h")
	if err != nil || len(us) != 1 || us[0].Function != "b" {
		t.Fatalf("usage b: %+v %v", us, err)
	}
	if api.lastQuery("function") != "b" || api.lastQuery("since") != "1h" {
		t.Fatal("query not sent")
	}
}

// TestForeignError covers replies that did not come from Updraft, e.g. a
// proxy in between.
func TestForeignError(t *testing.T) {
	for _, tc := range []struct {
		name, body, header, want string
	}{
		{"html", "<html>bad gateway</html>", "", "HTTP 502 Bad Gateway: <html>bad gateway</html>"},
		{"empty", "", "", "HTTP 502 Bad Gateway: Bad Gateway"},
		{"aws json", `{"__type":"ThrottlingException","Message":"slow down"}`, "", "ThrottlingException: slow down"},
		{"type with url", `{"message":"m"}`, "ServiceException:http://internal.amazon.com/", "ServiceException: m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("X-Amzn-ErrorType", tc.header)
				}
				w.WriteHeader(http.StatusBadGateway)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			_, err := New(srv.URL, "k").ListFunctions(context.Background())
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
}

func TestEndpointForms(t *testing.T) {
	api := newFakeAPI(t)
	host := strings.TrimPrefix(api.URL, "http://")
	for _, ep := range []string{api.URL, api.URL + "/", host} {
		if err := New(ep, "").Health(context.Background()); err != nil {
			t.Errorf("endpoint %q: %v", ep, err)
		}
	}
	if got := (&Client{}).baseURL(); got != DefaultEndpoint {
		t.Errorf("zero endpoint: %s", got)
	}
}

func TestSendsBearerKey(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		io.WriteString(w, `{"functions":[]}`)
	}))
	defer srv.Close()
	if _, err := New(srv.URL, "s3cret").ListFunctions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got != "Bearer s3cret" {
		t.Fatalf("Authorization: %q", got)
	}
}
