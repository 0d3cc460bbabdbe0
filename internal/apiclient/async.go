package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// InvokeAsync queues an asynchronous invocation (Lambda's InvocationType
// Event) and returns its request id once the server stored the event.
func (c *Client) InvokeAsync(ctx context.Context, name string, payload []byte) (string, error) {
	path := "/2015-03-31/functions/" + url.PathEscape(name) + "/invocations"
	req, err := c.newRequest(ctx, http.MethodPost, path, nil, bytes.NewReader(payload))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	resp, err := c.do(req, http.StatusAccepted)
	if err != nil {
		return "", err
	}
	defer closeBody(resp)
	return resp.Header.Get("X-Amzn-RequestId"), nil
}

// Destination is one of an EventConfig's destinations.
type Destination struct {
	Destination string `json:"Destination,omitempty"`
}

// EventConfig is Lambda's FunctionEventInvokeConfig.
type EventConfig struct {
	FunctionArn              string  `json:"FunctionArn,omitempty"`
	LastModified             float64 `json:"LastModified,omitempty"`
	MaximumRetryAttempts     *int    `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int    `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        struct {
		OnSuccess *Destination `json:"OnSuccess,omitempty"`
		OnFailure *Destination `json:"OnFailure,omitempty"`
	} `json:"DestinationConfig"`
}

// Modified is LastModified as a time.
func (e *EventConfig) Modified() time.Time {
	return time.UnixMilli(int64(e.LastModified * 1000))
}

func eventConfigPath(name string) string {
	return "/2019-09-25/functions/" + url.PathEscape(name) + "/event-invoke-config"
}

// GetEventConfig returns the function's asynchronous invocation settings.
func (c *Client) GetEventConfig(ctx context.Context, name string) (*EventConfig, error) {
	req, err := c.newRequest(ctx, http.MethodGet, eventConfigPath(name), nil, nil)
	if err != nil {
		return nil, err
	}
	var out EventConfig
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutEventConfig replaces the settings (replace) or changes the fields
// ec gives (Lambda's UpdateFunctionEventInvokeConfig).
func (c *Client) PutEventConfig(ctx context.Context, name string, ec *EventConfig, replace bool) (*EventConfig, error) {
	body, err := json.Marshal(ec)
	if err != nil {
		return nil, err
	}
	method := http.MethodPost
	if replace {
		method = http.MethodPut
	}
	req, err := c.newRequest(ctx, method, eventConfigPath(name), nil, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	var out EventConfig
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}

// FailedEvent is an asynchronous event that failed for good and had no
// destination (or could not reach it).
type FailedEvent struct {
	RequestID   string          `json:"request_id"`
	Function    string          `json:"function"`
	Qualifier   string          `json:"qualifier,omitempty"`
	Condition   string          `json:"condition"`
	Attempts    int             `json:"attempts"`
	Enqueued    time.Time       `json:"enqueued"`
	FailedAt    time.Time       `json:"failed_at"`
	Payload     json.RawMessage `json:"payload"`
	Error       json.RawMessage `json:"error,omitempty"`
	Destination string          `json:"destination,omitempty"`
	Why         string          `json:"why"`
}

// FailedEvents lists up to max of the function's failed events, oldest
// first.
func (c *Client) FailedEvents(ctx context.Context, name string, max int) ([]FailedEvent, error) {
	q := url.Values{"max": {strconv.Itoa(max)}}
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/functions/"+url.PathEscape(name)+"/events/failed", q, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Events []FailedEvent `json:"events"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.Events, nil
}
