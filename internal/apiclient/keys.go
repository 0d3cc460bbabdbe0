package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Key is a new credential: an API key (Authorization: Bearer) and an AWS
// access key pair (Signature Version 4) of one tenant and scope.
type Key struct {
	Tenant          string `json:"tenant"`
	AccountID       string `json:"accountId"` // the tenant's 12-digit account id, as in its ARNs
	APIKey          string `json:"apiKey"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	Scope           string `json:"scope"`
	Description     string `json:"description,omitempty"`
}

// KeyRequest is a key to create: "" fields take the defaults (the
// caller's tenant, scope admin).
type KeyRequest struct {
	Tenant      string `json:"tenant,omitempty"`
	Scope       string `json:"scope,omitempty"`
	Description string `json:"description,omitempty"`
}

// KeyInfo is a key as listed: no secrets.
type KeyInfo struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant"`
	Scope       string    `json:"scope"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	APIKey      bool      `json:"apiKey"`
	AccessKey   bool      `json:"accessKey"`
}

// CreateKey makes an admin key for tenant ("" for the caller's own tenant).
func (c *Client) CreateKey(ctx context.Context, tenant string) (*Key, error) {
	return c.NewKey(ctx, KeyRequest{Tenant: tenant})
}

// NewKey makes a key as r asks.
func (c *Client) NewKey(ctx context.Context, r KeyRequest) (*Key, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("apiclient: create key: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/v1/keys", nil, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	k := new(Key)
	if _, err := c.doJSON(req, k, http.StatusCreated); err != nil {
		return nil, err
	}
	return k, nil
}

// ListKeys lists the keys of tenant ("" for the caller's; all for every
// tenant's, platform admin only).
func (c *Client) ListKeys(ctx context.Context, tenant string, all bool) ([]KeyInfo, error) {
	q := url.Values{}
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	if all {
		q.Set("all", "true")
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/keys", q, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Keys []KeyInfo `json:"keys"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.Keys, nil
}

// RevokeKey revokes key id (its API key and access key pair).
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, "/v1/keys/"+url.PathEscape(id), nil, nil)
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
