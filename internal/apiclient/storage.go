package apiclient

import (
	"context"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Storage returns what the store holds: bytes per store and per tenant
// with the admin key, the key's own tenant's row otherwise.
func (c *Client) Storage(ctx context.Context) (*fn.Storage, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/storage", nil, nil)
	if err != nil {
		return nil, err
	}
	out := new(fn.Storage)
	if _, err := c.doJSON(req, out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}
