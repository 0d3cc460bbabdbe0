package logs

import (
	"context"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Search selects a function's log entries.
type Search struct {
	Since time.Time // zero: from the oldest kept
	Until time.Time // zero: to the newest; not with Follow
	// Text keeps the entries whose message contains it (case-sensitive,
	// as CloudWatch's plain filter terms).
	Text string
	// RequestID keeps the entries of one invocation (its START to REPORT
	// lines and what it printed).
	RequestID string
	// Tail keeps only the last Tail matching entries stored so far (0:
	// all); with Follow, new ones follow them.
	Tail   int
	Follow bool
}

// Validate checks that s asks for something sensible.
func (s Search) Validate() error {
	switch {
	case s.Tail < 0:
		return fn.InvalidParameter("tail %d must not be negative", s.Tail)
	case s.Follow && !s.Until.IsZero():
		return fn.InvalidParameter("until and follow do not go together: follow prints new lines as they come, until stops at a time")
	case !s.Until.IsZero() && !s.Since.IsZero() && s.Until.Before(s.Since):
		return fn.InvalidParameter("until %s is before since %s", s.Until.Format(time.RFC3339), s.Since.Format(time.RFC3339))
	}
	return nil
}

// Match reports whether e is selected, its time aside from Since.
func (s Search) Match(e *fn.LogEntry) bool {
	if !s.Until.IsZero() && e.Time.After(s.Until) {
		return false
	}
	if s.RequestID != "" && e.RequestID != s.RequestID {
		return false
	}
	return s.Text == "" || strings.Contains(e.Message, s.Text)
}

// Search calls emit for each of the function's entries that s selects, in
// order; like Query it returns at the stream's end unless s.Follow, then
// it goes on until ctx ends.
func (l *Logs) Search(ctx context.Context, tenant, function string, s Search, emit func(fn.LogEntry) error) error {
	if err := s.Validate(); err != nil {
		return err
	}
	match := func(e fn.LogEntry) error {
		if !s.Match(&e) {
			return nil
		}
		return emit(e)
	}
	if s.Tail == 0 {
		return l.Query(ctx, tenant, function, s.Since, s.Follow, match)
	}
	// The last Tail matches in a ring, counting every entry read so that
	// a follow can skip what was already read.
	ring := make([]fn.LogEntry, 0, min(s.Tail, 4096))
	next, read := 0, 0
	err := l.Query(ctx, tenant, function, s.Since, false, func(e fn.LogEntry) error {
		read++
		if !s.Match(&e) {
			return nil
		}
		if len(ring) < s.Tail {
			ring = append(ring, e)
			return nil
		}
		ring[next] = e
		next = (next + 1) % s.Tail
		return nil
	})
	if err != nil {
		return err
	}
	for i := range ring {
		if err := emit(ring[(next+i)%len(ring)]); err != nil {
			return err
		}
	}
	if !s.Follow {
		return nil
	}
	skip := read
	return l.Query(ctx, tenant, function, s.Since, true, func(e fn.LogEntry) error {
		if skip > 0 {
			skip--
			return nil
		}
		return match(e)
	})
}
