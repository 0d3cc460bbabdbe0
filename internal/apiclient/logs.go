package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Logs reads a function's log entries since a Go duration ("10m") or an
// RFC 3339 time (empty: the server's default) and calls emit for each, in
// the order the server sends them. With follow the stream stays open for
// new entries until ctx ends; Logs then returns ctx's error. An error from
// emit stops the stream and is returned as is.
func (c *Client) Logs(ctx context.Context, name, since string, follow bool, emit func(fn.LogEntry) error) error {
	return c.SearchLogs(ctx, name, LogSearch{Since: since, Follow: follow}, emit)
}

// LogSearch selects log entries server-side; empty fields select all.
type LogSearch struct {
	Since, Until string // a Go duration back from now ("10m") or an RFC 3339 time
	Filter       string // text the line contains
	RequestID    string // one invocation's lines
	Tail         int    // the last Tail matching lines (0: all)
	Follow       bool
}

// SearchLogs is Logs with the server's filters.
func (c *Client) SearchLogs(ctx context.Context, name string, s LogSearch, emit func(fn.LogEntry) error) error {
	q := url.Values{}
	for k, v := range map[string]string{"since": s.Since, "until": s.Until, "filter": s.Filter, "request_id": s.RequestID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if s.Tail > 0 {
		q.Set("tail", strconv.Itoa(s.Tail))
	}
	if s.Follow {
		q.Set("follow", "1")
	}
	req, err := c.newRequest(ctx, http.MethodGet, functionPath(name, "/logs"), q, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := c.do(req, http.StatusOK)
	if err != nil {
		return err
	}
	defer resp.Body.Close() // not drained: a followed stream never ends
	dec := json.NewDecoder(resp.Body)
	for {
		var e fn.LogEntry
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("apiclient: logs of %s: %w", name, err)
		}
		if err := emit(e); err != nil {
			return err
		}
	}
}
