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

// Schedule is a schedule as /v1/schedules shows it.
type Schedule struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	// Function is NAME or NAME:QUALIFIER when creating.
	Function       string          `json:"function"`
	Qualifier      string          `json:"qualifier,omitempty"`
	Input          json.RawMessage `json:"input,omitempty"`
	Timezone       string          `json:"timezone,omitempty"`
	Start          *time.Time      `json:"start,omitempty"`
	End            *time.Time      `json:"end,omitempty"`
	FlexibleWindow int             `json:"flexible_window,omitempty"` // minutes
	CatchUp        string          `json:"catch_up,omitempty"`        // none, one (default), all
	State          string          `json:"state,omitempty"`           // ENABLED, DISABLED, COMPLETED
	Owner          string          `json:"owner,omitempty"`           // "yaml:FUNCTION" when declared in updraft.yaml

	ARN          string     `json:"arn,omitempty"`
	Created      *time.Time `json:"created,omitempty"`
	LastModified *time.Time `json:"last_modified,omitempty"`
	LastTick     *time.Time `json:"last_tick,omitempty"`
	NextTick     *time.Time `json:"next_tick,omitempty"`
	Fired        int64      `json:"fired,omitempty"`
	Skipped      int64      `json:"skipped,omitempty"` // missed ticks the catch-up policy did not fire
	Dropped      int64      `json:"dropped,omitempty"` // ticks when the function did not exist
}

func schedulePath(name, suffix string) string {
	return "/v1/schedules/" + url.PathEscape(name) + suffix
}

// CreateSchedule makes a schedule.
func (c *Client) CreateSchedule(ctx context.Context, s Schedule) (*Schedule, error) {
	return c.sendSchedule(ctx, http.MethodPost, "/v1/schedules", s, http.StatusCreated)
}

// UpdateSchedule replaces schedule name's definition.
func (c *Client) UpdateSchedule(ctx context.Context, name string, s Schedule) (*Schedule, error) {
	return c.sendSchedule(ctx, http.MethodPut, schedulePath(name, ""), s, http.StatusOK)
}

func (c *Client) sendSchedule(ctx context.Context, method, path string, s Schedule, want int) (*Schedule, error) {
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("apiclient: schedule: %w", err)
	}
	req, err := c.newRequest(ctx, method, path, nil, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	out := new(Schedule)
	if _, err := c.doJSON(req, out, want); err != nil {
		return nil, err
	}
	return out, nil
}

// GetSchedule returns a schedule with its last and next tick.
func (c *Client) GetSchedule(ctx context.Context, name string) (*Schedule, error) {
	req, err := c.newRequest(ctx, http.MethodGet, schedulePath(name, ""), nil, nil)
	if err != nil {
		return nil, err
	}
	out := new(Schedule)
	if _, err := c.doJSON(req, out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// ListSchedules returns the account's schedules by name.
func (c *Client) ListSchedules(ctx context.Context) ([]Schedule, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/schedules", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Schedules []Schedule `json:"schedules"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.Schedules, nil
}

// DeleteSchedule removes a schedule.
func (c *Client) DeleteSchedule(ctx context.Context, name string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, schedulePath(name, ""), nil, nil)
	if err != nil {
		return err
	}
	_, err = c.doJSON(req, nil, http.StatusNoContent)
	return err
}

// PauseSchedule stops a schedule firing (DISABLED) until resumed.
func (c *Client) PauseSchedule(ctx context.Context, name string) (*Schedule, error) {
	return c.scheduleAction(ctx, name, "/pause")
}

// ResumeSchedule lets a paused schedule fire again, from now on.
func (c *Client) ResumeSchedule(ctx context.Context, name string) (*Schedule, error) {
	return c.scheduleAction(ctx, name, "/resume")
}

func (c *Client) scheduleAction(ctx context.Context, name, action string) (*Schedule, error) {
	req, err := c.newRequest(ctx, http.MethodPost, schedulePath(name, action), nil, nil)
	if err != nil {
		return nil, err
	}
	out := new(Schedule)
	if _, err := c.doJSON(req, out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}
