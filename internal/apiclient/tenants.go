package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Tenant is a tenant as the platform admin sees it.
type Tenant struct {
	Name      string    `json:"name"`
	AccountID string    `json:"accountId"`
	Created   time.Time `json:"created"`
	Quotas    fn.Quotas `json:"quotas"`
}

// CreateTenant adds a tenant (platform admin only).
func (c *Client) CreateTenant(ctx context.Context, name string, q *fn.Quotas) (*Tenant, error) {
	body, err := json.Marshal(map[string]any{"name": name, "quotas": q})
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/v1/tenants", nil, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	t := new(Tenant)
	if _, err := c.doJSON(req, t, http.StatusCreated); err != nil {
		return nil, err
	}
	return t, nil
}

// ListTenants lists every tenant.
func (c *Client) ListTenants(ctx context.Context) ([]Tenant, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/tenants", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Tenants []Tenant `json:"tenants"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.Tenants, nil
}

// GetTenant returns one tenant.
func (c *Client) GetTenant(ctx context.Context, name string) (*Tenant, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/tenants/"+url.PathEscape(name), nil, nil)
	if err != nil {
		return nil, err
	}
	t := new(Tenant)
	if _, err := c.doJSON(req, t, http.StatusOK); err != nil {
		return nil, err
	}
	return t, nil
}

// SetQuotas replaces a tenant's quotas.
func (c *Client) SetQuotas(ctx context.Context, name string, q fn.Quotas) (*Tenant, error) {
	body, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodPut, "/v1/tenants/"+url.PathEscape(name)+"/quotas", nil, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	t := new(Tenant)
	if _, err := c.doJSON(req, t, http.StatusOK); err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteTenant deletes a tenant; force deletes everything it owns first.
func (c *Client) DeleteTenant(ctx context.Context, name string, force bool) error {
	q := url.Values{}
	if force {
		q.Set("force", "true")
	}
	req, err := c.newRequest(ctx, http.MethodDelete, "/v1/tenants/"+url.PathEscape(name), q, nil)
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
