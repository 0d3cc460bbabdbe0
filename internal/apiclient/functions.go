package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
)

// DeployRequest is the body of POST /v1/functions. Every field but Zip is
// optional: a zero field is left out, and the server takes it from the
// updraft.yaml inside the zip or from the defaults.
type DeployRequest struct {
	Name       string            `json:"name,omitempty"`
	Runtime    string            `json:"runtime,omitempty"`
	Handler    string            `json:"handler,omitempty"`
	MemoryMB   int               `json:"memory_mb,omitempty"`
	TimeoutSec int               `json:"timeout_s,omitempty"`
	Env        map[string]string `json:"env,omitempty"`
	Zip        []byte            `json:"zip_file"` // sent base64-encoded
}

// Deploy creates or updates a function. created is true when the function
// did not exist before (201), false when an existing one was updated (200).
func (c *Client) Deploy(ctx context.Context, r DeployRequest) (f *fn.Function, created bool, err error) {
	if len(r.Zip) == 0 {
		return nil, false, fmt.Errorf("apiclient: deploy: no code: the zip is empty")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, false, fmt.Errorf("apiclient: deploy: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/v1/functions", nil, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	f = new(fn.Function)
	resp, err := c.doJSON(req, f, http.StatusOK, http.StatusCreated)
	if err != nil {
		return nil, false, err
	}
	return f, resp.StatusCode == http.StatusCreated, nil
}

// ListFunctions returns every function of the caller's tenant, sorted by name.
func (c *Client) ListFunctions(ctx context.Context) ([]*fn.Function, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/functions", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Functions []*fn.Function `json:"functions"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	if out.Functions == nil {
		out.Functions = []*fn.Function{}
	}
	return out.Functions, nil
}

// GetFunction returns one function; an unknown name is an *Error of type
// ResourceNotFoundException (see IsNotFound).
func (c *Client) GetFunction(ctx context.Context, name string) (*fn.Function, error) {
	req, err := c.newRequest(ctx, http.MethodGet, functionPath(name, ""), nil, nil)
	if err != nil {
		return nil, err
	}
	f := new(fn.Function)
	if _, err := c.doJSON(req, f, http.StatusOK); err != nil {
		return nil, err
	}
	return f, nil
}

// DeleteFunction deletes a function with its code.
func (c *Client) DeleteFunction(ctx context.Context, name string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, functionPath(name, ""), nil, nil)
	if err != nil {
		return err
	}
	_, err = c.doJSON(req, nil, http.StatusNoContent, http.StatusOK)
	return err
}
