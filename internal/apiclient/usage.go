package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Usage returns the usage per function, sorted by function name. function
// narrows it to one function (empty: all); since is a Go duration or an
// RFC 3339 time (empty: the server's default).
func (c *Client) Usage(ctx context.Context, function, since string) ([]fn.UsageSummary, error) {
	q := url.Values{}
	if function != "" {
		q.Set("function", function)
	}
	if since != "" {
		q.Set("since", since)
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/usage", q, nil)
	if err != nil {
		return nil, err
	}
	out := []fn.UsageSummary{}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	if out == nil { // a "null" reply
		out = []fn.UsageSummary{}
	}
	return out, nil
}

// Health reports whether the server answers GET /healthz (no key needed).
func (c *Client) Health(ctx context.Context) error {
	req, err := c.newRequest(ctx, http.MethodGet, "/healthz", nil, nil)
	if err != nil {
		return err
	}
	_, err = c.doJSON(req, nil, http.StatusOK)
	return err
}
