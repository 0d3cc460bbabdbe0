package schedule

import (
	"strconv"
	"strings"
	"time"
)

// EventBridge's cron: six fields, minutes hours day-of-month month
// day-of-week year. Day-of-week counts 1-7 from Sunday (SUN-SAT). Exactly
// one of day-of-month and day-of-week is "?". Day-of-month takes L (the
// last day), LW (the last weekday) and NW (the weekday nearest day N);
// day-of-week takes NL (the last such day of the month), N#K (the K-th
// such day) and L alone (Saturday, the week's last day). L, W and # stand
// alone in their field, as in EventBridge.

const (
	minYear = 1970
	maxYear = 2199
)

var fieldNames = [6]string{"minutes", "hours", "day-of-month", "month", "day-of-week", "year"}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

// Special day rules.
const (
	dayAny         = iota // "?" or "*" (the other field decides, or every day)
	daySet                // values, ranges, lists, steps
	dayLast               // L in day-of-month
	dayLastWeekday        // LW
	dayNearest            // NW
	dayLastOfWeek         // NL in day-of-week
	dayNth                // N#K
)

type daySpec struct {
	rule     int
	question bool
	set      []bool // indexed by day of month (1-31) or day of week (1-7)
	n, k     int
}

type cronSpec struct {
	minutes, hours, months, years []bool
	dom, dow                      daySpec
}

// fieldError names the field and the value that is wrong.
func fieldError(expr string, i int, format string, args ...any) error {
	return badExpression(expr, "field %d (%s): "+format, append([]any{i + 1, fieldNames[i]}, args...)...)
}

func parseCron(expr, body string) (*cronSpec, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, badExpression(expr, "a cron expression has 6 fields, minutes hours day-of-month month day-of-week year (e.g. cron(0 12 * * ? *)), not %d", len(f))
	}
	c := &cronSpec{}
	var err error
	if c.minutes, err = parseList(expr, 0, f[0], 0, 59, nil); err != nil {
		return nil, err
	}
	if c.hours, err = parseList(expr, 1, f[1], 0, 23, nil); err != nil {
		return nil, err
	}
	if c.months, err = parseList(expr, 3, f[3], 1, 12, monthNames); err != nil {
		return nil, err
	}
	if c.years, err = parseList(expr, 5, f[5], minYear, maxYear, nil); err != nil {
		return nil, err
	}
	if c.dom, err = parseDay(expr, 2, f[2]); err != nil {
		return nil, err
	}
	if c.dow, err = parseDay(expr, 4, f[4]); err != nil {
		return nil, err
	}
	if c.dom.question == c.dow.question {
		return nil, badExpression(expr, "exactly one of day-of-month (field 3) and day-of-week (field 5) must be \"?\" (e.g. cron(0 8 ? * MON-FRI *) or cron(0 8 1 * ? *)), here %s", map[bool]string{true: "both are", false: "neither is"}[c.dom.question])
	}
	return c, nil
}

// parseDay reads day-of-month (i 2) or day-of-week (i 4).
func parseDay(expr string, i int, s string) (daySpec, error) {
	dow := i == 4
	if dow {
		s = strings.ToUpper(s)
		for name, n := range dayNames {
			s = strings.ReplaceAll(s, name, strconv.Itoa(n))
		}
	}
	switch {
	case s == "?":
		return daySpec{rule: dayAny, question: true}, nil
	case s == "*":
		return daySpec{rule: dayAny}, nil
	case !dow && s == "L":
		return daySpec{rule: dayLast}, nil
	case !dow && s == "LW":
		return daySpec{rule: dayLastWeekday}, nil
	case dow && s == "L":
		return daySpec{rule: daySet, set: oneOf(8, 7)}, nil
	}
	if strings.ContainsAny(s, "LW#") && strings.ContainsAny(s, ",-/*") {
		return daySpec{}, fieldError(expr, i, "%q: L, W and # stand alone in their field, without lists, ranges or steps", s)
	}
	switch {
	case !dow && strings.HasSuffix(s, "W"):
		n, err := value(expr, i, strings.TrimSuffix(s, "W"), 1, 31, nil)
		return daySpec{rule: dayNearest, n: n}, err
	case dow && strings.HasSuffix(s, "L"):
		n, err := value(expr, i, strings.TrimSuffix(s, "L"), 1, 7, dayNames)
		return daySpec{rule: dayLastOfWeek, n: n}, err
	case dow && strings.Contains(s, "#"):
		d, k, _ := strings.Cut(s, "#")
		n, err := value(expr, i, d, 1, 7, dayNames)
		if err != nil {
			return daySpec{}, err
		}
		kk, err := strconv.Atoi(k)
		if err != nil || kk < 1 || kk > 5 {
			return daySpec{}, fieldError(expr, i, "%q: the week after # is 1 to 5 (3#2 is the second Tuesday)", s)
		}
		return daySpec{rule: dayNth, n: n, k: kk}, nil
	case strings.ContainsAny(s, "LW#"):
		return daySpec{}, fieldError(expr, i, "%q: %s", s, map[bool]string{
			false: "day-of-month takes L, LW or NW (e.g. 15W); # is for day-of-week",
			true:  "day-of-week takes L, NL (e.g. 6L, the last Friday) or N#K (e.g. 3#2); W is for day-of-month"}[dow])
	}
	names, hi := map[string]int(nil), 31
	if dow {
		names, hi = dayNames, 7
	}
	set, err := parseList(expr, i, s, 1, hi, names)
	return daySpec{rule: daySet, set: set}, err
}

func oneOf(size, n int) []bool {
	b := make([]bool, size)
	b[n] = true
	return b
}

// parseList reads a list of values, ranges and steps between lo and hi.
func parseList(expr string, i int, s string, lo, hi int, names map[string]int) ([]bool, error) {
	set := make([]bool, hi+1)
	if s == "?" {
		return nil, fieldError(expr, i, `"?" is only for day-of-month or day-of-week`)
	}
	for _, item := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, fieldError(expr, i, "%q: the step after / is a positive whole number", item)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = value(expr, i, a, lo, hi, names); err != nil {
				return nil, err
			}
			if to, err = value(expr, i, b, lo, hi, names); err != nil {
				return nil, err
			}
			if from > to {
				return nil, fieldError(expr, i, "%q: a range runs from low to high", item)
			}
		default:
			v, err := value(expr, i, rng, lo, hi, names)
			if err != nil {
				return nil, err
			}
			from = v
			if !hasStep {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, nil
}

// value reads one number (or name) of field i within lo-hi.
func value(expr string, i int, s string, lo, hi int, names map[string]int) (int, error) {
	if n, ok := names[strings.ToUpper(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		hint := ""
		if names != nil {
			hint = " or a name (" + nameRange(names) + ")"
		}
		return 0, fieldError(expr, i, "%q is not a number%s", s, hint)
	}
	if n < lo || n > hi {
		return 0, fieldError(expr, i, "%d is out of range %d-%d", n, lo, hi)
	}
	return n, nil
}

func nameRange(names map[string]int) string {
	if len(names) == 7 {
		return "SUN-SAT"
	}
	return "JAN-DEC"
}

// next is the first minute after after (in loc) that the spec matches.
func (c *cronSpec) next(after time.Time, loc *time.Location) (time.Time, bool) {
	start := after.In(loc)
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	for day.Year() <= maxYear {
		y, m, d := day.Date()
		switch {
		case y < minYear || !c.years[y]:
			day = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
			continue
		case !c.months[m]:
			day = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if c.dayMatches(y, m, d) {
			for h := range 24 {
				if !c.hours[h] {
					continue
				}
				for mi := range 60 {
					if !c.minutes[mi] {
						continue
					}
					if t, ok := wall(y, m, d, h, mi, loc); ok && t.After(after) {
						return t, true
					}
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}, false
}

// wall is the instant of a local time; ok is false when the time does
// not exist (a spring-forward gap). A time that exists twice (fall-back)
// is its first occurrence.
func wall(y int, m time.Month, d, h, mi int, loc *time.Location) (time.Time, bool) {
	t := time.Date(y, m, d, h, mi, 0, 0, loc)
	same := func(t time.Time) bool { return t.Day() == d && t.Hour() == h && t.Minute() == mi }
	if !same(t) {
		return time.Time{}, false
	}
	for _, back := range []time.Duration{time.Hour, 30 * time.Minute} {
		if e := t.Add(-back); same(e) {
			return e, true
		}
	}
	return t, true
}

func (c *cronSpec) dayMatches(y int, m time.Month, d int) bool {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) + 1 // 1 = Sunday
	if !c.dom.question {
		return c.dom.matches(y, m, d, last)
	}
	switch c.dow.rule {
	case dayAny:
		return true
	case daySet:
		return c.dow.set[wd]
	case dayLastOfWeek:
		return wd == c.dow.n && d+7 > last
	default: // dayNth
		return wd == c.dow.n && (d-1)/7+1 == c.dow.k
	}
}

func (s daySpec) matches(y int, m time.Month, d, last int) bool {
	switch s.rule {
	case dayAny:
		return true
	case daySet:
		return s.set[d]
	case dayLast:
		return d == last
	case dayLastWeekday:
		return d == nearestWeekday(y, m, last, last)
	default: // dayNearest
		return s.n <= last && d == nearestWeekday(y, m, s.n, last)
	}
}

// nearestWeekday is the weekday nearest day n of the month, not leaving
// the month (1W on a Saturday is Monday the 3rd).
func nearestWeekday(y int, m time.Month, n, last int) int {
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}
