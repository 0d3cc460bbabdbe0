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

// Route is an HTTP API route (internal/httpapi.Route on the wire).
type Route struct {
	RouteKey        string          `json:"routeKey"`
	Function        string          `json:"function"`
	Qualifier       string          `json:"qualifier,omitempty"`
	Auth            RouteAuth       `json:"auth"`
	Schema          json.RawMessage `json:"schema,omitempty"`
	RequiredQuery   []string        `json:"requiredQuery,omitempty"`
	RequiredHeaders []string        `json:"requiredHeaders,omitempty"`
	CORS            *RouteCORS      `json:"cors,omitempty"`
	// PayloadFormatVersion is "2.0" (default) or "1.0" (REST's proxy
	// event); Stage is the event's requestContext.stage (default $default).
	PayloadFormatVersion string `json:"payloadFormatVersion,omitempty"`
	Stage                string `json:"stage,omitempty"`
	// Read-only: set by the server.
	Tenant  string    `json:"tenant,omitempty"`
	Owner   string    `json:"owner,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// RouteAuth is a route's authorizer: Type none, apikey, jwt or function.
type RouteAuth struct {
	Type           string    `json:"type,omitempty"`
	JWT            *RouteJWT `json:"jwt,omitempty"`
	Function       string    `json:"function,omitempty"`
	IdentitySource []string  `json:"identitySource,omitempty"`
	TTLSeconds     *int      `json:"ttlSeconds,omitempty"`
}

// RouteJWT configures a JWT authorizer.
type RouteJWT struct {
	Secret   string   `json:"secret,omitempty"`
	JWKS     string   `json:"jwks,omitempty"`
	Issuer   string   `json:"issuer,omitempty"`
	Audience []string `json:"audience,omitempty"`
}

// RouteCORS is a route's CORS configuration.
type RouteCORS struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	MaxAge           int      `json:"maxAge,omitempty"`
	AllowCredentials bool     `json:"allowCredentials,omitempty"`
}

// RouteKey is an API key of routes with auth apikey, and its usage plan.
// Value is set only in CreateRouteKey's answer.
type RouteKey struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant"`
	Rate        float64   `json:"rate,omitempty"`
	Burst       int       `json:"burst,omitempty"`
	QuotaPerDay int64     `json:"quotaPerDay,omitempty"`
	Created     time.Time `json:"created"`
	Value       string    `json:"value,omitempty"`
}

func (c *Client) postJSON(ctx context.Context, path string, in, out any, what string) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("apiclient: %s: %w", what, err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, path, nil, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	_, err = c.doJSON(req, out, http.StatusCreated)
	return err
}

// PutRoute creates or replaces the route r.RouteKey.
func (c *Client) PutRoute(ctx context.Context, r Route) (*Route, error) {
	out := new(Route)
	if err := c.postJSON(ctx, "/v1/routes", r, out, "put route"); err != nil {
		return nil, err
	}
	return out, nil
}

// ListRoutes lists the caller's routes.
func (c *Client) ListRoutes(ctx context.Context) ([]Route, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/routes", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Routes []Route `json:"routes"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.Routes, nil
}

// DeleteRoute removes the route key ("METHOD /path" or "$default").
func (c *Client) DeleteRoute(ctx context.Context, key string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, "/v1/routes", url.Values{"routeKey": {key}}, nil)
	if err != nil {
		return err
	}
	resp, err := c.do(req, http.StatusNoContent)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// CreateRouteKey makes an API key with the usage plan of plan (Rate,
// Burst, QuotaPerDay); its Value is shown this once.
func (c *Client) CreateRouteKey(ctx context.Context, plan RouteKey) (*RouteKey, error) {
	out := new(RouteKey)
	in := map[string]any{"rate": plan.Rate, "burst": plan.Burst, "quotaPerDay": plan.QuotaPerDay}
	if err := c.postJSON(ctx, "/v1/route-keys", in, out, "create route key"); err != nil {
		return nil, err
	}
	return out, nil
}

// ListRouteKeys lists the caller's route API keys (without values).
func (c *Client) ListRouteKeys(ctx context.Context) ([]RouteKey, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/route-keys", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Keys []RouteKey `json:"keys"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.Keys, nil
}

// DeleteRouteKey removes the route API key id.
func (c *Client) DeleteRouteKey(ctx context.Context, id string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, "/v1/route-keys/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return err
	}
	resp, err := c.do(req, http.StatusNoContent)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// RouteCORSSettings returns the API-wide CORS configuration (nil: none).
func (c *Client) RouteCORSSettings(ctx context.Context) (*RouteCORS, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/route-cors", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		CORS *RouteCORS `json:"cors"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.CORS, nil
}

// SetRouteCORS sets the API-wide CORS configuration (nil removes it): it
// applies to every route without one of its own.
func (c *Client) SetRouteCORS(ctx context.Context, cors *RouteCORS) error {
	if cors == nil {
		req, err := c.newRequest(ctx, http.MethodDelete, "/v1/route-cors", nil, nil)
		if err != nil {
			return err
		}
		resp, err := c.do(req, http.StatusNoContent)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	body, err := json.Marshal(cors)
	if err != nil {
		return fmt.Errorf("apiclient: set route CORS: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPut, "/v1/route-cors", nil, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	_, err = c.doJSON(req, nil, http.StatusOK)
	return err
}
