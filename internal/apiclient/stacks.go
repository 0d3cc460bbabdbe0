package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"time"
)

// StackBody is a stack deploy: the template's text, parameter overrides
// and each CodeUri directory's zip.
type StackBody struct {
	Template   string            `json:"template"`
	Parameters map[string]string `json:"parameters,omitempty"`
	Code       map[string][]byte `json:"code,omitempty"`
	DryRun     bool              `json:"dry_run,omitempty"`
}

// Stack is a stack's record (GET /v1/stacks/{name}).
type Stack struct {
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason,omitempty"`
	Description string            `json:"description,omitempty"`
	Parameters  map[string]string `json:"parameters,omitempty"`
	Resources   []StackResource   `json:"resources"`
	Outputs     []StackOutput     `json:"outputs,omitempty"`
	Plan        []PlanStep        `json:"plan,omitempty"`
	Deployments []StackDeployment `json:"deployments,omitempty"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
}

// StackResource is one resource a stack made.
type StackResource struct {
	LogicalID string   `json:"logical_id"`
	Type      string   `json:"type"`
	Kind      string   `json:"kind"`
	Name      string   `json:"name"`
	Notes     []string `json:"notes,omitempty"`
	Applied   struct {
		ID      string `json:"id,omitempty"`
		Version string `json:"version,omitempty"`
	} `json:"applied"`
}

// StackOutput is one of the template's Outputs.
type StackOutput struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
}

// PlanStep is one line of a deploy's plan.
type PlanStep struct {
	Action    string   `json:"action"` // create, update, replace, delete, keep
	LogicalID string   `json:"logical_id"`
	Type      string   `json:"type"`
	Kind      string   `json:"kind"`
	Name      string   `json:"name,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// StackDeployment is an alias's traffic shift to a new version.
type StackDeployment struct {
	ID       string  `json:"id"`
	Function string  `json:"function"`
	Alias    string  `json:"alias"`
	From     string  `json:"from"`
	To       string  `json:"to"`
	Status   string  `json:"status"`
	Weight   float64 `json:"weight"`
	Reason   string  `json:"reason,omitempty"`
}

// Output returns the value of the output named key ("" if none).
func (s *Stack) Output(key string) string {
	for _, o := range s.Outputs {
		if o.Key == key {
			return o.Value
		}
	}
	return ""
}

// Deployment returns the shift of function ("nil" if none).
func (s *Stack) Deployment(function string) *StackDeployment {
	for i := range s.Deployments {
		if s.Deployments[i].Function == function {
			return &s.Deployments[i]
		}
	}
	return nil
}

// DeployStack deploys a template as stack name (POST /v1/stacks/{name}).
// A deploy that ran and failed returns the error and, when the server
// recorded it, the stack as it was left.
func (c *Client) DeployStack(ctx context.Context, name string, body StackBody) (*Stack, error) {
	// multipart/form-data: the zips go as they are, not in base64 JSON.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	head := body
	head.Code = nil
	part, err := mw.CreateFormField("stack")
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(part).Encode(head); err != nil {
		return nil, err
	}
	uris := make([]string, 0, len(body.Code))
	for u := range body.Code {
		uris = append(uris, u)
	}
	sort.Strings(uris)
	for _, u := range uris {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="code"`)
		h.Set("Content-Type", "application/zip")
		h.Set("Code-Uri", u)
		part, err := mw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		if _, err := part.Write(body.Code[u]); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/v1/stacks/"+url.PathEscape(name), nil, &buf)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var s Stack
	if _, err := c.doJSON(req, &s, http.StatusOK); err != nil {
		var ae *Error
		if errors.As(err, &ae) && !body.DryRun {
			if got, gerr := c.GetStack(ctx, name); gerr == nil {
				return got, err
			}
		}
		return nil, err
	}
	return &s, nil
}

// GetStack returns a stack's record.
func (c *Client) GetStack(ctx context.Context, name string) (*Stack, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/stacks/"+url.PathEscape(name), nil, nil)
	if err != nil {
		return nil, err
	}
	var s Stack
	if _, err := c.doJSON(req, &s, http.StatusOK); err != nil {
		return nil, err
	}
	return &s, nil
}

// ListStacks returns the tenant's stacks.
func (c *Client) ListStacks(ctx context.Context) ([]*Stack, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/stacks", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Stacks []*Stack `json:"stacks"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.Stacks, nil
}

// DeleteStack removes a stack and every resource it made.
func (c *Client) DeleteStack(ctx context.Context, name string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, "/v1/stacks/"+url.PathEscape(name), nil, nil)
	if err != nil {
		return err
	}
	resp, err := c.do(req, http.StatusNoContent)
	if err != nil {
		return err
	}
	closeBody(resp)
	return nil
}
