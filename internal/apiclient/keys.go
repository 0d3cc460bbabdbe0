package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Key is a new credential: an API key (Authorization: Bearer) and an AWS
// access key pair (Signature Version 4) of one tenant.
type Key struct {
	Tenant          string `json:"tenant"`
	AccountID       string `json:"accountId"` // the tenant's 12-digit account id, as in its ARNs
	APIKey          string `json:"apiKey"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// CreateKey makes a key for tenant ("" for the caller's own tenant).
func (c *Client) CreateKey(ctx context.Context, tenant string) (*Key, error) {
	body, err := json.Marshal(map[string]string{"tenant": tenant})
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
