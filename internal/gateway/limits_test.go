package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/config"
)

// limitedServer starts the real platform (see serverWith) with cfg
// changed by tune, and returns its address and admin key.
func limitedServer(t *testing.T, tune func(*config.Config)) (string, string) {
	t.Helper()
	_, key, d := serverWith(t, tune)
	return d.Addr(), key
}

// dial opens a raw connection and writes head (a request's first bytes).
func dial(t *testing.T, addr, head string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	return c
}

// dribble writes one byte of b every interval until a write fails (the
// server closed the connection) or stop is closed.
func dribble(c net.Conn, b byte, interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if _, err := c.Write([]byte{b}); err != nil {
			return
		}
	}
}

// cutOff is how a slow connection ended: the reply the server sent before
// closing it (nil for none), or the error that was not the close.
type cutOff struct {
	resp *http.Response
	body []byte
	err  error
}

// awaitClose reads what the server sends on c until it closes c; a client
// deadline of limit catches a server that never does.
func awaitClose(c net.Conn, limit time.Duration) cutOff {
	_ = c.SetReadDeadline(time.Now().Add(limit))
	br := bufio.NewReader(c)
	if _, err := br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			return cutOff{}
		}
		return cutOff{err: err}
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return cutOff{err: err}
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return cutOff{err: err}
	}
	if _, err := br.Peek(1); !errors.Is(err, io.EOF) && !isReset(err) {
		return cutOff{err: fmt.Errorf("connection still open after a %d reply: %v", resp.StatusCode, err)}
	}
	return cutOff{resp: resp, body: body}
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "connection reset") }

// wantCut checks a reply with an AWS-style error type, a message naming
// hint, and the connection closed after it.
func wantCut(t *testing.T, what string, got cutOff, status int, typ, hint string) {
	t.Helper()
	if got.err != nil {
		t.Fatalf("%s: %v", what, got.err)
	}
	if got.resp == nil {
		t.Fatalf("%s: connection closed without a reply, want %d %s", what, status, typ)
	}
	var e struct{ Type, Message string }
	if got.resp.StatusCode != status || got.resp.Header.Get("X-Amzn-ErrorType") != typ ||
		json.Unmarshal(got.body, &e) != nil || !strings.Contains(e.Message, hint) {
		t.Fatalf("%s: got %d %q %s, want %d %s with a message naming %q", what,
			got.resp.StatusCode, got.resp.Header.Get("X-Amzn-ErrorType"), got.body, status, typ, hint)
	}
}

const pyEcho = `def handler(event, context):
    return event
`

// TestSlowClientsAreCutOff: 50 slowloris connections, half dribbling their
// headers and half their bodies, are closed within the limits (the body
// ones with 408), and a normal invoke made while they are open succeeds.
func TestSlowClientsAreCutOff(t *testing.T) {
	addr, key := limitedServer(t, func(c *config.Config) {
		c.HeaderTimeout = 3 * time.Second
		c.BodyGrace = 3 * time.Second
		c.BodyMinRate = 1 << 10
	})
	url := "http://" + addr
	if r := call(t, "POST", url+"/v1/functions", key, deployBody(t,
		map[string]any{"name": "echo", "runtime": "python3", "handler": "app.handler"}, zipOf(t, map[string]string{"app.py": pyEcho}))); r.status != 201 {
		t.Fatalf("deploy %d %s", r.status, r.body)
	}
	inv := url + "/2015-03-31/functions/echo/invocations"
	if r := call(t, "POST", inv, key, []byte(`{"warm":1}`)); r.status != 200 {
		t.Fatalf("warm-up invoke %d %s", r.status, r.body)
	}

	const slow = 50
	stop := make(chan struct{})
	defer close(stop)
	var closed atomic.Int32
	results := make([]cutOff, slow)
	var wg sync.WaitGroup
	for i := range slow {
		var c net.Conn
		if i%2 == 0 { // headers, never finished
			c = dial(t, addr, "POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		} else { // a body of 100 KB, one byte at a time
			c = dial(t, addr, "POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: x\r\n"+
				"Authorization: Bearer "+key+"\r\nContent-Length: 100000\r\n\r\n")
		}
		go dribble(c, 'a', 100*time.Millisecond, stop)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = awaitClose(c, time.Minute)
			closed.Add(1)
		}()
	}

	r := call(t, "POST", inv, key, []byte(`{"while":"slow clients"}`))
	if r.status != 200 || !strings.Contains(string(r.body), "slow clients") {
		t.Fatalf("invoke with %d slow connections open: %d %s", slow, r.status, r.body)
	}
	if n := closed.Load(); n != 0 {
		t.Fatalf("%d slow connections were closed before the invoke returned: the test did not run them alongside it", n)
	}

	wg.Wait()
	for i, got := range results {
		if i%2 == 0 {
			if got.err != nil || got.resp != nil {
				t.Fatalf("slow headers: want the connection closed, got %+v", got)
			}
			continue
		}
		wantCut(t, "slow body", got, http.StatusRequestTimeout, "RequestTimeoutException", "too slowly")
	}
	// A body read to its end keeps the connection for the next call.
	client := &http.Client{Transport: &http.Transport{}}
	for i := range 2 {
		var reused bool
		trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) { reused = ci.Reused }}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "POST", inv, strings.NewReader(`{"after":1}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close || i == 1 && !reused {
			t.Fatalf("invoke %d after the slow clients: %d, closed %v, reused %v", i, resp.StatusCode, resp.Close, reused)
		}
	}
}

// TestAnnouncedLengthIsNotAllocated: 10 deploy requests that announce 50 MB
// each and send a few bytes cost the server what they sent, not what they
// announced.
func TestAnnouncedLengthIsNotAllocated(t *testing.T) {
	addr, key := limitedServer(t, func(c *config.Config) {
		c.BodyGrace = 2 * time.Second
		c.BodyMinRate = 1 << 20
	})
	const conns, announced = 10, 50 << 20
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	results := make([]cutOff, conns)
	for i := range conns {
		c := dial(t, addr, fmt.Sprintf("POST /v1/functions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"name\":\"big\",\"zip_file\":\"UEsDBA", key, announced))
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = awaitClose(c, time.Minute)
		}()
	}
	wg.Wait() // each handler read its few bytes, then waited out the grace
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	for _, got := range results {
		wantCut(t, "stalled deploy", got, http.StatusRequestTimeout, "RequestTimeoutException", "too slowly")
	}
	grew := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KB in all for %d requests announcing %d MB each", grew>>10, conns, announced>>20)
	if grew > conns*announced/10 {
		t.Fatalf("the server allocated %d MB for %d requests that announced %d MB each and sent a few bytes",
			grew>>20, conns, announced>>20)
	}
}

// TestRefusedBeforeTheBody: a request without a valid key is answered at
// once, before its body (announced, never sent) is read, and its
// connection is closed; one address holds at most --max-conns-per-ip
// connections. The body grace and the header timeout are long here, so
// that an answer at all shows the server did not wait for them.
func TestRefusedBeforeTheBody(t *testing.T) {
	addr, _ := limitedServer(t, func(c *config.Config) {
		c.HeaderTimeout = 10 * time.Minute
		c.BodyGrace = 10 * time.Minute
		c.MaxConnsPerIP = 3
	})
	const wait = 20 * time.Second // far below the limits above
	for _, length := range []int{50 << 20, 100} {
		c := dial(t, addr, fmt.Sprintf("POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", length))
		wantCut(t, fmt.Sprintf("no key, %d bytes announced", length), awaitClose(c, wait), http.StatusUnauthorized, "UnrecognizedClientException", "API key")
		_ = c.Close()
	}
	sig := "AWS4-HMAC-SHA256 Credential=AKIAUNKNOWNUNKNOWN00/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("ab", 32)
	c := dial(t, addr, "POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: x\r\nX-Amz-Date: 20260101T000000Z\r\n"+
		"Authorization: "+sig+"\r\nContent-Length: 1000000\r\n\r\n")
	wantCut(t, "unknown access key", awaitClose(c, wait), http.StatusForbidden, "UnrecognizedClientException", "not known here")
	_ = c.Close()

	// The cap: three idle connections are held, a fourth is closed at
	// once; when one of the three goes, a new one is served.
	// Each held connection is answered once first, so the server has
	// surely counted it before the fourth arrives (on a loaded machine an
	// accepted connection may not be counted yet).
	// The connections cut above may still be counted for a moment: a
	// held one refused then is dialled again.
	held := make([]net.Conn, 3)
	for i := range held {
		for deadline := time.Now().Add(wait); ; {
			held[i] = dial(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			_ = held[i].SetReadDeadline(time.Now().Add(wait))
			resp, err := http.ReadResponse(bufio.NewReader(held[i]), nil)
			if err == nil {
				_ = resp.Body.Close()
				_ = held[i].SetReadDeadline(time.Time{})
				break
			}
			_ = held[i].Close()
			if time.Now().After(deadline) {
				t.Fatalf("held connection %d: %v", i, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if got := awaitClose(dial(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), wait); got.err != nil || got.resp != nil {
		t.Fatalf("a fourth connection from one address: want it closed at once, got %+v", got)
	}
	_ = held[0].Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for deadline := time.Now().Add(wait); ; {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("healthz %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after one of the three closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // the server notices the close
	}
}
