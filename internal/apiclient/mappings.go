package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// EventSourceMapping is Lambda's EventSourceMappingConfiguration for a
// queue feeding a function.
type EventSourceMapping struct {
	UUID                           string         `json:"UUID"`
	EventSourceArn                 string         `json:"EventSourceArn"`
	FunctionArn                    string         `json:"FunctionArn"`
	BatchSize                      int            `json:"BatchSize"`
	MaximumBatchingWindowInSeconds int            `json:"MaximumBatchingWindowInSeconds"`
	FunctionResponseTypes          []string       `json:"FunctionResponseTypes"`
	ScalingConfig                  *ScalingConfig `json:"ScalingConfig,omitempty"`
	State                          string         `json:"State"`
	StateTransitionReason          string         `json:"StateTransitionReason"`
	LastProcessingResult           string         `json:"LastProcessingResult"`
	// LastModified is epoch seconds, as Lambda sends it.
	LastModified float64 `json:"LastModified"`
}

// ScalingConfig caps a mapping's concurrent batches.
type ScalingConfig struct {
	MaximumConcurrency int `json:"MaximumConcurrency,omitempty"`
}

// Modified is LastModified as a time.
func (m *EventSourceMapping) Modified() time.Time {
	return time.UnixMilli(int64(m.LastModified * 1000))
}

// MappingInput creates a mapping; zero fields take Lambda's defaults.
type MappingInput struct {
	// Queue is the queue's name or its ARN.
	Queue string
	// Function is the function's name (name:qualifier) or ARN.
	Function       string
	BatchSize      int
	WindowSeconds  int
	ReportFailures bool
	MaxConcurrency int
	Disabled       bool
}

const mappingsPath = "/2015-03-31/event-source-mappings/"

// CreateMapping maps a queue to a function (CreateEventSourceMapping). A
// queue given by name is taken from the caller's own account.
func (c *Client) CreateMapping(ctx context.Context, in MappingInput) (*EventSourceMapping, error) {
	arn := in.Queue
	if !strings.HasPrefix(arn, "arn:") {
		acct, err := c.accountID(ctx)
		if err != nil {
			return nil, err
		}
		arn = "arn:aws:sqs:" + fn.Region + ":" + acct + ":" + in.Queue
	}
	body := map[string]any{"EventSourceArn": arn, "FunctionName": in.Function, "Enabled": !in.Disabled}
	if in.BatchSize > 0 {
		body["BatchSize"] = in.BatchSize
	}
	if in.WindowSeconds > 0 {
		body["MaximumBatchingWindowInSeconds"] = in.WindowSeconds
	}
	if in.ReportFailures {
		body["FunctionResponseTypes"] = []string{"ReportBatchItemFailures"}
	}
	if in.MaxConcurrency > 0 {
		body["ScalingConfig"] = ScalingConfig{MaximumConcurrency: in.MaxConcurrency}
	}
	return c.mappingCall(ctx, http.MethodPost, mappingsPath, body, http.StatusAccepted)
}

// ListMappings lists the caller's mappings, of function when not empty,
// following every page.
func (c *Client) ListMappings(ctx context.Context, function string) ([]EventSourceMapping, error) {
	var out []EventSourceMapping
	q := url.Values{}
	if function != "" {
		q.Set("FunctionName", function)
	}
	for {
		req, err := c.newRequest(ctx, http.MethodGet, mappingsPath, q, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			EventSourceMappings []EventSourceMapping `json:"EventSourceMappings"`
			NextMarker          string               `json:"NextMarker"`
		}
		if _, err := c.doJSON(req, &page, http.StatusOK); err != nil {
			return nil, err
		}
		out = append(out, page.EventSourceMappings...)
		if page.NextMarker == "" {
			return out, nil
		}
		q.Set("Marker", page.NextMarker)
	}
}

// GetMapping returns one mapping.
func (c *Client) GetMapping(ctx context.Context, uuid string) (*EventSourceMapping, error) {
	return c.mappingCall(ctx, http.MethodGet, mappingsPath+url.PathEscape(uuid), nil, http.StatusOK)
}

// DeleteMapping removes a mapping; the reply shows it Deleting.
func (c *Client) DeleteMapping(ctx context.Context, uuid string) (*EventSourceMapping, error) {
	return c.mappingCall(ctx, http.MethodDelete, mappingsPath+url.PathEscape(uuid), nil, http.StatusAccepted)
}

func (c *Client) mappingCall(ctx context.Context, method, path string, body any, want int) (*EventSourceMapping, error) {
	var rd *bytes.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("apiclient: mapping: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = c.newRequest(ctx, method, path, nil, rd)
	} else {
		req, err = c.newRequest(ctx, method, path, nil, nil)
	}
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	out := new(EventSourceMapping)
	if _, err := c.doJSON(req, out, want); err != nil {
		return nil, err
	}
	return out, nil
}

// accountID is the caller's account id, from Lambda's account settings.
func (c *Client) accountID(ctx context.Context) (string, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/2016-08-19/account-settings", nil, nil)
	if err != nil {
		return "", err
	}
	var s struct {
		AccountID string `json:"AccountId"`
	}
	if _, err := c.doJSON(req, &s, http.StatusOK); err != nil {
		return "", err
	}
	return s.AccountID, nil
}
