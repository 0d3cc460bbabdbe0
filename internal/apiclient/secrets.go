package apiclient

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"time"
)

// SecretInfo is a secret as listed: never its value.
type SecretInfo struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	Size    int       `json:"size"`
}

// SetSecret creates or replaces a secret of the caller's tenant.
func (c *Client) SetSecret(ctx context.Context, name string, value []byte) (*SecretInfo, error) {
	req, err := c.newRequest(ctx, http.MethodPut, "/v1/secrets/"+url.PathEscape(name), nil, bytes.NewReader(value))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	s := new(SecretInfo)
	if _, err := c.doJSON(req, s, http.StatusOK); err != nil {
		return nil, err
	}
	return s, nil
}

// ListSecrets lists the caller's tenant's secrets.
func (c *Client) ListSecrets(ctx context.Context) ([]SecretInfo, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/secrets", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Secrets []SecretInfo `json:"secrets"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.Secrets, nil
}

// DeleteSecret removes a secret.
func (c *Client) DeleteSecret(ctx context.Context, name string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, "/v1/secrets/"+url.PathEscape(name), nil, nil)
	if err != nil {
		return err
	}
	resp, err := c.do(req, http.StatusNoContent)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}
