package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Logs reads a function's log entries since a Go duration ("10m") or an
// RFC 3339 time (empty: the server's default) and calls emit for each, in
// the order the server sends them. With follow the stream stays open for
// new entries until ctx ends; Logs then returns ctx's error. An error from
// emit stops the stream and is returned as is.
func (c *Client) Logs(ctx context.Context, name, since string, follow bool, emit func(fn.LogEntry) error) error {
	q := url.Values{}
	if since != "" {
		q.Set("since", since)
	}
	if follow {
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
