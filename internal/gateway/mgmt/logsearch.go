package mgmt

import (
	"net/http"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/logs"
)

// logSearch reads GET /v1/functions/{name}/logs's query: since and until
// (a duration back from now or an RFC 3339 time), filter (text the line
// contains), request_id, tail (the last N matching lines) and follow.
func logSearch(r *http.Request) (logs.Search, error) {
	q := r.URL.Query()
	now := time.Now()
	var s logs.Search
	var err error
	if s.Since, err = wire.ParseSince(q.Get("since"), now); err != nil {
		return s, err
	}
	if u := q.Get("until"); u != "" {
		if s.Until, err = wire.ParseSince(u, now); err != nil {
			return s, fn.InvalidParameter("until %q is neither a duration back from now (10m) nor an RFC 3339 time", u)
		}
	}
	s.Text = q.Get("filter")
	s.RequestID = q.Get("request_id")
	if t := q.Get("tail"); t != "" {
		if s.Tail, err = strconv.Atoi(t); err != nil || s.Tail < 0 {
			return s, fn.InvalidParameter("tail %q is not a count of lines (e.g. 50)", t)
		}
	}
	s.Follow = q.Get("follow") == "1" || q.Get("follow") == "true"
	return s, s.Validate()
}
