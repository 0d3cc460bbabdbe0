package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Kinds of expression.
const (
	KindRate = "rate"
	KindCron = "cron"
	KindAt   = "at"
)

// Expression is a parsed schedule expression: rate(N unit), cron(six
// fields) or at(yyyy-mm-ddThh:mm:ss), as EventBridge Scheduler takes them.
type Expression struct {
	Kind string
	raw  string
	rate time.Duration // KindRate
	cron *cronSpec     // KindCron
	at   [6]int        // KindAt: year, month, day, hour, minute, second
}

// String is the expression as written.
func (e *Expression) String() string { return e.raw }

// Rate is the period of a rate expression (0 for the others).
func (e *Expression) Rate() time.Duration { return e.rate }

// badExpression is the error for an expression that does not parse.
func badExpression(expr, format string, args ...any) error {
	return fn.Validation("Invalid Schedule Expression %q: %s", expr, fmt.Sprintf(format, args...))
}

// Parse reads an expression; an error says which part is wrong and how
// to write it.
func Parse(expr string) (*Expression, error) {
	s := strings.TrimSpace(expr)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return nil, badExpression(expr, "write rate(VALUE UNIT), cron(MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR) or at(yyyy-mm-ddThh:mm:ss)")
	}
	kind, body := s[:open], strings.TrimSpace(s[open+1:len(s)-1])
	e := &Expression{Kind: kind, raw: s}
	var err error
	switch kind {
	case KindRate:
		e.rate, err = parseRate(expr, body)
	case KindCron:
		e.cron, err = parseCron(expr, body)
	case KindAt:
		e.at, err = parseAt(expr, body)
	default:
		return nil, badExpression(expr, "%q is not an expression type: use rate(...), cron(...) or at(...)", kind)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

func parseRate(expr, body string) (time.Duration, error) {
	parts := strings.Fields(body)
	if len(parts) != 2 {
		return 0, badExpression(expr, "a rate expression is rate(VALUE UNIT), e.g. rate(5 minutes)")
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n <= 0 {
		return 0, badExpression(expr, "the rate value %q is not a positive whole number", parts[0])
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit := parts[1]
	singular := strings.TrimSuffix(unit, "s")
	d, ok := units[singular]
	if !ok {
		return 0, badExpression(expr, "the rate unit %q is not one of minute(s), hour(s), day(s)", unit)
	}
	if n == 1 && unit != singular {
		return 0, badExpression(expr, "a rate of 1 takes the singular unit: rate(1 %s)", singular)
	}
	if n > 1 && unit == singular {
		return 0, badExpression(expr, "a rate above 1 takes the plural unit: rate(%d %ss)", n, singular)
	}
	if n > 1<<20 {
		return 0, badExpression(expr, "the rate value %d is too large", n)
	}
	return time.Duration(n) * d, nil
}

func parseAt(expr, body string) ([6]int, error) {
	t, err := time.Parse("2006-01-02T15:04:05", body)
	if err != nil {
		return [6]int{}, badExpression(expr, "an at expression is at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-12-31T23:00:00): %q does not parse", body)
	}
	return [6]int{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()}, nil
}

// Next is the first time strictly after after at which the expression
// fires, evaluated in loc; ok is false when it never fires again. anchor
// is when a rate schedule started (its first tick).
//
// Daylight saving time, as EventBridge Scheduler documents it: a cron
// time that does not exist on a spring-forward day is skipped; one that
// exists twice on a fall-back day fires once, at its first occurrence. A
// rate counts fixed durations (a day is 24 hours). An at() time that
// does not exist fires at the same wall-clock distance past the gap.
func (e *Expression) Next(after time.Time, loc *time.Location, anchor time.Time) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	switch e.Kind {
	case KindRate:
		if after.Before(anchor) {
			return anchor, true
		}
		k := after.Sub(anchor)/e.rate + 1
		return anchor.Add(k * e.rate), true
	case KindAt:
		t := e.At(loc)
		return t, t.After(after)
	default:
		return e.cron.next(after, loc)
	}
}

// At is the instant of an at() expression in loc.
func (e *Expression) At(loc *time.Location) time.Time {
	a := e.at
	t := time.Date(a[0], time.Month(a[1]), a[2], a[3], a[4], a[5], 0, loc)
	if t.Hour() == a[3] && t.Minute() == a[4] {
		return t
	}
	// In a spring-forward gap: read the wall time with the offset in
	// force before the gap, which lands as far past it.
	naive := time.Date(a[0], time.Month(a[1]), a[2], a[3], a[4], a[5], 0, time.UTC)
	_, off := naive.Add(-12 * time.Hour).In(loc).Zone()
	return naive.Add(-time.Duration(off) * time.Second)
}
