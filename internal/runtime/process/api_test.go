package process

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// call sends one raw Runtime API request, as another local process could.
func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestTokenIsolation: without an instance's token nobody can read or answer
// its events; with another instance's token neither.
func TestTokenIsolation(t *testing.T) {
	r := newRuntime(t)
	a := start(t, r, goSpec(behaveDir))
	b := start(t, r, goSpec(helloDir))
	base := "http://" + r.Addr()
	api := "/2018-06-01/runtime/"

	// Start a slow call on a, so that it has an event in flight.
	req := newRequest(`{"action":"sleep","n":400}`, 3*time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := a.Invoke(context.Background(), req)
		if err != nil || string(resp.Payload) != `"slept"` || resp.Outcome != fn.OutcomeSuccess {
			t.Errorf("the call on a was disturbed: %v %+v", err, resp)
		}
	}()
	time.Sleep(100 * time.Millisecond)

	almost := a.token[:31] + "0"
	if almost == a.token {
		almost = a.token[:31] + "1"
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", api + "invocation/next"},                                           // no token
		{"GET", "/" + randomHex(16) + api + "invocation/next"},                     // a guessed token
		{"GET", "/" + almost + api + "invocation/next"},                            // almost a's
		{"POST", "/" + randomHex(16) + api + "invocation/" + req.ID + "/response"}, // answer a's event
		{"POST", "/" + randomHex(16) + api + "init/error"},
		{"GET", "/" + a.token}, // the bare token
		{"GET", "/"},
	} {
		code, body := call(t, tc.method, base+tc.path, `"forged"`)
		if code != http.StatusNotFound || body != "" {
			t.Errorf("%s %s = %d %q, want a bare 404", tc.method, tc.path, code, body)
		}
	}
	// b's token is valid but a's event is not b's to answer.
	code, body := call(t, "POST", base+"/"+b.token+api+"invocation/"+req.ID+"/response", `"forged"`)
	if code != http.StatusBadRequest || !strings.Contains(body, `"errorType":"InvalidRequestID"`) {
		t.Errorf("answering a's event with b's token = %d %s", code, body)
	}
	<-done
	// a's own token, a stale id.
	code, body = call(t, "POST", base+"/"+a.token+api+"invocation/"+req.ID+"/response", `"late"`)
	if code != http.StatusBadRequest || !strings.Contains(body, "InvalidRequestID") {
		t.Errorf("a second answer = %d %s", code, body)
	}
	// Wrong methods.
	for _, tc := range []struct{ method, path string }{
		{"POST", api + "invocation/next"},
		{"GET", api + "invocation/" + req.ID + "/response"},
		{"GET", api + "init/error"},
	} {
		code, _ := call(t, tc.method, base+"/"+a.token+tc.path, "")
		if code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s = %d, want 405", tc.method, tc.path, code)
		}
	}
	// Both instances still work.
	for _, in := range []*instance{a, b} {
		if _, resp := invoke(t, in, `{"action":"pid","name":"x"}`); resp.Outcome != fn.OutcomeSuccess {
			t.Errorf("instance broken after the probes: %+v %s", resp, resp.Payload)
		}
	}
}

// TestForeignPollGetsNothing: a second process polling /next concurrently
// with a guessed token gets 404 at once and never sees the event.
func TestForeignPollGetsNothing(t *testing.T) {
	r := newRuntime(t)
	a := start(t, r, goSpec(helloDir))
	stolen := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + r.Addr() + "/" + randomHex(16) + "/2018-06-01/runtime/invocation/next")
		if err != nil {
			stolen <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		stolen <- resp.Status + " " + string(b)
	}()
	_, resp := invoke(t, a, `{"name":"secret"}`)
	if string(resp.Payload) != `{"message":"Hello, secret!"}` {
		t.Errorf("payload %s", resp.Payload)
	}
	if got := <-stolen; got != "404 Not Found " {
		t.Errorf("foreign poll got %q", got)
	}
}

// trailerBody is a request body of unknown length, so net/http sends it
// chunked, which sets error trailers once read, as aws-lambda-go's does
// when a streamed response fails midway.
type trailerBody struct {
	r       io.Reader
	trailer http.Header
}

func (b *trailerBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.trailer.Set(hdrErrorType, "Stream.Failed")
		b.trailer.Set(hdrErrorBody, base64.StdEncoding.EncodeToString([]byte(`{"errorType":"Stream.Failed","errorMessage":"cut"}`)))
	}
	return n, err
}

// TestResponseErrorTrailer: a streamed /response whose trailers carry an
// error type is the invocation's error, with the trailer's body.
func TestResponseErrorTrailer(t *testing.T) {
	r := newRuntime(t)
	a := start(t, r, goSpec(behaveDir))
	req := newRequest(`{"action":"sleep","n":500}`, 3*time.Second)
	got := make(chan *runtime.Response, 1)
	go func() {
		resp, err := a.Invoke(context.Background(), req)
		if err != nil {
			t.Error(err)
		}
		got <- resp
	}()
	time.Sleep(100 * time.Millisecond) // behave has the event and sleeps
	tr := http.Header{hdrErrorType: nil, hdrErrorBody: nil}
	hreq, err := http.NewRequest("POST", "http://"+r.Addr()+"/"+a.token+"/2018-06-01/runtime/invocation/"+req.ID+"/response",
		&trailerBody{r: strings.NewReader(`{"partial":`), trailer: tr})
	if err != nil {
		t.Fatal(err)
	}
	hreq.Trailer = tr
	hresp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	hresp.Body.Close()
	if hresp.StatusCode != http.StatusAccepted {
		t.Errorf("POST with trailers: %s", hresp.Status)
	}
	resp := <-got
	if resp == nil || resp.ErrorType != "Stream.Failed" || resp.Outcome != fn.OutcomeError ||
		string(resp.Payload) != `{"errorType":"Stream.Failed","errorMessage":"cut"}` {
		t.Fatalf("response %+v", resp)
	}
}
