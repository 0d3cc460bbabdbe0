package apiclient

import (
	"context"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Usage returns the usage per function, sorted by function name. function
// narrows it to one function (empty: all); since is a Go duration or an
// RFC 3339 time (empty: the server's default).
func (c *Client) Usage(ctx context.Context, function, since string) ([]fn.UsageSummary, error) {
	return c.UsageOf(ctx, "", function, since)
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
