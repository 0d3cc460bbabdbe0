package apiclient

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// InvokeResult is a synchronous invocation's reply.
type InvokeResult struct {
	StatusCode      int
	Payload         []byte // the function's result, or its error JSON when FunctionError is set
	FunctionError   string // X-Amz-Function-Error, e.g. "Unhandled"; empty on success
	RequestID       string // X-Amzn-RequestId
	ExecutedVersion string // X-Amz-Executed-Version
}

// Invoke calls a function synchronously with payload (JSON) as its event,
// on Lambda's path. A function that fails still yields a result, with
// FunctionError set; err is for the call itself failing (unknown function,
// throttled, payload too large, …) and is then an *Error.
func (c *Client) Invoke(ctx context.Context, name string, payload []byte) (*InvokeResult, error) {
	path := "/2015-03-31/functions/" + url.PathEscape(name) + "/invocations"
	req, err := c.newRequest(ctx, http.MethodPost, path, nil, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer closeBody(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, parseError(resp)
	}
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= 64<<20 {
		buf.Grow(int(n))
	}
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, fmt.Errorf("apiclient: invoke %s: reading reply: %w", name, err)
	}
	return &InvokeResult{
		StatusCode:      resp.StatusCode,
		Payload:         buf.Bytes(),
		FunctionError:   resp.Header.Get("X-Amz-Function-Error"),
		RequestID:       resp.Header.Get("X-Amzn-RequestId"),
		ExecutedVersion: resp.Header.Get("X-Amz-Executed-Version"),
	}, nil
}
