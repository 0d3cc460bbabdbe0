package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultEndpoint is where `updraft serve` listens unless told otherwise.
const DefaultEndpoint = "http://127.0.0.1:8080"

// Client talks to one Updraft server. Its fields may be set directly; the
// zero HTTP uses a shared keep-alive client. A Client is safe for
// concurrent use.
type Client struct {
	Endpoint string       // base URL, e.g. http://127.0.0.1:8080; a bare host:port means http
	APIKey   string       // sent as "Authorization: Bearer <key>" when not empty
	HTTP     *http.Client // nil means a shared client with keep-alive connections
}

// New returns a client of the server at endpoint that authenticates with apiKey.
func New(endpoint, apiKey string) *Client {
	return &Client{Endpoint: endpoint, APIKey: apiKey, HTTP: sharedHTTP}
}

// sharedHTTP keeps connections alive across calls and clients; enough idle
// connections per host for benchmarks and tests that run many calls at once.
// It has no overall timeout: a followed log stream lasts until its context
// ends, and every call takes its deadline from its context.
var sharedHTTP = &http.Client{Transport: newTransport()}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return sharedHTTP
}

// baseURL is the endpoint without a trailing slash, with http:// added when
// no scheme was given.
func (c *Client) baseURL() string {
	e := strings.TrimRight(c.Endpoint, "/")
	if e == "" {
		return DefaultEndpoint
	}
	if !strings.Contains(e, "://") {
		e = "http://" + e
	}
	return e
}

// newRequest builds a request to path (already escaped) with query q.
func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body io.Reader) (*http.Request, error) {
	u := c.baseURL() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("apiclient: %s %s: %w", method, u, err)
	}
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	req.Header.Set("User-Agent", "updraft-apiclient")
	return req, nil
}

// do sends req and returns the response when its status is one of want;
// any other status is decoded into an *Error and the body closed.
func (c *Client) do(req *http.Request, want ...int) (*http.Response, error) {
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err // *url.Error names the method and URL
	}
	for _, s := range want {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	defer closeBody(resp)
	return nil, parseError(resp)
}

// doJSON sends req and decodes a JSON reply into out (unless out is nil).
func (c *Client) doJSON(req *http.Request, out any, want ...int) (*http.Response, error) {
	resp, err := c.do(req, want...)
	if err != nil {
		return nil, err
	}
	defer closeBody(resp)
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return nil, fmt.Errorf("apiclient: %s %s: decoding reply: %w", req.Method, req.URL.Path, err)
		}
	}
	return resp, nil
}

// closeBody drains a little of the body so the connection can be reused,
// then closes it.
func closeBody(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}

// functionPath is /v1/functions/{name} plus suffix, with name escaped.
func functionPath(name, suffix string) string {
	return "/v1/functions/" + url.PathEscape(name) + suffix
}
