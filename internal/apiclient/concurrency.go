package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// GetConcurrency returns a function's scaling configuration.
func (c *Client) GetConcurrency(ctx context.Context, name string) (*fn.Concurrency, error) {
	req, err := c.newRequest(ctx, http.MethodGet, functionPath(name, "/concurrency"), nil, nil)
	if err != nil {
		return nil, err
	}
	cc := new(fn.Concurrency)
	if _, err := c.doJSON(req, cc, http.StatusOK); err != nil {
		return nil, err
	}
	return cc, nil
}

// PutConcurrency sets a function's scaling configuration. With provisioned
// concurrency it returns once the instances are ready.
func (c *Client) PutConcurrency(ctx context.Context, name string, cc fn.Concurrency) (*fn.Concurrency, error) {
	body, err := json.Marshal(cc)
	if err != nil {
		return nil, fmt.Errorf("apiclient: concurrency: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPut, functionPath(name, "/concurrency"), nil, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	out := new(fn.Concurrency)
	if _, err := c.doJSON(req, out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteConcurrency removes a function's scaling configuration.
func (c *Client) DeleteConcurrency(ctx context.Context, name string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, functionPath(name, "/concurrency"), nil, nil)
	if err != nil {
		return err
	}
	_, err = c.doJSON(req, nil, http.StatusNoContent, http.StatusOK)
	return err
}

// Instance is one instance of a function as the server sees it.
type Instance struct {
	Version     string    `json:"version"`
	State       string    `json:"state"` // starting, idle, busy, provisioned
	Provisioned bool      `json:"provisioned"`
	IdleSince   time.Time `json:"idle_since,omitzero"`
}

// Instances is the reply of GET /v1/functions/{name}/instances.
type Instances struct {
	Function    string         `json:"function"`
	Concurrency fn.Concurrency `json:"concurrency"`
	InFlight    int            `json:"in_flight"`
	Instances   []Instance     `json:"instances"`
	Tenant      struct {
		Admitted          int64 `json:"admitted"`
		ThrottledReserved int64 `json:"throttled_reserved"`
		ThrottledTenant   int64 `json:"throttled_tenant"`
		InUse             int   `json:"in_use"`
	} `json:"tenant"`
}

// Instances lists a function's instances and their states.
func (c *Client) Instances(ctx context.Context, name string) (*Instances, error) {
	req, err := c.newRequest(ctx, http.MethodGet, functionPath(name, "/instances"), nil, nil)
	if err != nil {
		return nil, err
	}
	out := new(Instances)
	if _, err := c.doJSON(req, out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}
