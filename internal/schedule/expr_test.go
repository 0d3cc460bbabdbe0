package schedule

import (
	"strings"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseRejectsWithReason(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"every 5 minutes", "write rate(VALUE UNIT)"},
		{"hourly(1)", `"hourly" is not an expression type`},
		{"rate(1 minutes)", "singular unit: rate(1 minute)"},
		{"rate(5 minute)", "plural unit: rate(5 minutes)"},
		{"rate(0 minutes)", `"0" is not a positive whole number`},
		{"rate(5 weeks)", `"weeks" is not one of minute(s), hour(s), day(s)`},
		{"rate(5)", "rate(VALUE UNIT)"},
		{"cron(0 12 * *)", "6 fields"},
		{"cron(0 12 * * * *)", "neither is"},
		{"cron(0 12 ? * ? *)", "both are"},
		{"cron(60 * * * ? *)", "field 1 (minutes): 60 is out of range 0-59"},
		{"cron(0 24 * * ? *)", "field 2 (hours): 24 is out of range 0-23"},
		{"cron(0 0 32 * ? *)", "field 3 (day-of-month): 32 is out of range 1-31"},
		{"cron(0 0 1 FOO ? *)", `field 4 (month): "FOO" is not a number or a name (JAN-DEC)`},
		{"cron(0 0 ? * 8 *)", "field 5 (day-of-week): 8 is out of range 1-7"},
		{"cron(0 0 ? * 3#6 *)", "the week after # is 1 to 5"},
		{"cron(0 0 1 * ? 1969)", "field 6 (year): 1969 is out of range 1970-2199"},
		{"cron(0 0 L,5 * ? *)", "stand alone"},
		{"cron(0 0 ? * 2W *)", "W is for day-of-month"},
		{"cron(0 0 3#2 * ? *)", "# is for day-of-week"},
		{"cron(0 5-1 * * ? *)", "a range runs from low to high"},
		{"cron(0/0 * * * ? *)", "the step after / is a positive whole number"},
		{"cron(? 0 1 * ? *)", `field 1 (minutes): "?" is only for day-of-month or day-of-week`},
		{"at(2026-13-01T00:00:00)", "at(yyyy-mm-ddThh:mm:ss)"},
		{"at(2026-01-01 00:00)", "does not parse"},
	} {
		_, err := Parse(c.expr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", c.expr, err, c.want)
		}
	}
}

func TestNext(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name, expr string
		loc        *time.Location
		after      string
		want       []string // successive ticks; empty: never
	}{
		{"every 15 minutes", "cron(0/15 * * * ? *)", time.UTC, "2026-01-05T10:07:00Z",
			[]string{"2026-01-05T10:15:00Z", "2026-01-05T10:30:00Z", "2026-01-05T10:45:00Z", "2026-01-05T11:00:00Z"}},
		{"weekdays at 8 by name", "cron(0 8 ? * MON-FRI *)", time.UTC, "2026-01-02T09:00:00Z", // a Friday
			[]string{"2026-01-05T08:00:00Z", "2026-01-06T08:00:00Z"}},
		{"weekdays as numbers (1 is Sunday)", "cron(0 8 ? * 2-6 *)", time.UTC, "2026-01-02T09:00:00Z",
			[]string{"2026-01-05T08:00:00Z"}},
		{"list and month names", "cron(0 0 1 JAN,JUL ? *)", time.UTC, "2026-01-01T00:00:00Z",
			[]string{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}},
		{"last day of month (L), leap year", "cron(0 0 L * ? *)", time.UTC, "2028-02-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2028-03-31T00:00:00Z", "2028-04-30T00:00:00Z"}},
		{"last weekday (LW): May 31 2026 is a Sunday", "cron(0 0 LW * ? *)", time.UTC, "2026-05-01T00:00:00Z",
			[]string{"2026-05-29T00:00:00Z", "2026-06-30T00:00:00Z"}},
		{"nearest weekday (15W): Aug 15 2026 is a Saturday", "cron(0 0 15W * ? *)", time.UTC, "2026-08-01T00:00:00Z",
			[]string{"2026-08-14T00:00:00Z", "2026-09-15T00:00:00Z"}},
		{"1W does not leave the month: Aug 1 2026 is a Saturday", "cron(0 0 1W * ? *)", time.UTC, "2026-07-31T00:00:00Z",
			[]string{"2026-08-03T00:00:00Z"}},
		{"second Tuesday (3#2)", "cron(0 9 ? * 3#2 *)", time.UTC, "2026-03-01T00:00:00Z",
			[]string{"2026-03-10T09:00:00Z", "2026-04-14T09:00:00Z"}},
		{"last Friday (6L)", "cron(0 9 ? * 6L *)", time.UTC, "2026-01-01T00:00:00Z",
			[]string{"2026-01-30T09:00:00Z", "2026-02-27T09:00:00Z"}},
		{"last Friday by name (FRIL)", "cron(0 9 ? * FRIL *)", time.UTC, "2026-01-01T00:00:00Z",
			[]string{"2026-01-30T09:00:00Z"}},
		{"year field", "cron(0 12 1 1 ? 2030-2031)", time.UTC, "2026-06-01T00:00:00Z",
			[]string{"2030-01-01T12:00:00Z", "2031-01-01T12:00:00Z"}},
		{"past the year field: never", "cron(0 12 1 1 ? 2020)", time.UTC, "2026-06-01T00:00:00Z", nil},
		{"a day that never comes: never", "cron(0 0 31 2 ? *)", time.UTC, "2026-01-01T00:00:00Z", nil},
		{"time zone", "cron(0 9 * * ? *)", ny, "2026-01-05T00:00:00Z",
			[]string{"2026-01-05T14:00:00Z", "2026-01-06T14:00:00Z"}},
		// 2026-03-08: New York springs forward at 02:00 to 03:00; 02:30 does
		// not exist that day and is skipped, as EventBridge Scheduler does.
		{"DST spring forward skips a time that does not exist", "cron(30 2 * * ? *)", ny, "2026-03-07T12:00:00Z",
			[]string{"2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}},
		{"DST spring forward: the hour after moves to EDT", "cron(0 3 * * ? *)", ny, "2026-03-07T12:00:00Z",
			[]string{"2026-03-08T07:00:00Z", "2026-03-09T07:00:00Z"}},
		// 2026-11-01: New York falls back at 02:00 to 01:00; 01:30 happens
		// twice and fires once, at its first occurrence (EDT).
		{"DST fall back fires a repeated time once", "cron(30 1 * * ? *)", ny, "2026-10-31T12:00:00Z",
			[]string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{"DST fall back: every 30 minutes through the repeated hour", "cron(0/30 1 * * ? *)", ny, "2026-11-01T04:00:00Z",
			[]string{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:00:00Z"}},
		{"at() in its time zone", "at(2026-07-04T09:00:00)", ny, "2026-01-01T00:00:00Z", []string{"2026-07-04T13:00:00Z"}},
		{"at() in a spring-forward gap fires past the gap", "at(2026-03-08T02:30:00)", ny, "2026-01-01T00:00:00Z", []string{"2026-03-08T07:30:00Z"}},
		{"at() past: never", "at(2026-07-04T09:00:00)", time.UTC, "2026-07-04T09:00:00Z", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := Parse(c.expr)
			if err != nil {
				t.Fatal(err)
			}
			after := utc(c.after)
			for i, w := range c.want {
				got, ok := e.Next(after, c.loc, time.Time{})
				if !ok || !got.Equal(utc(w)) {
					t.Fatalf("tick %d after %s: got %s (%v), want %s", i+1, after.UTC().Format(time.RFC3339), got.UTC().Format(time.RFC3339), ok, w)
				}
				after = got
			}
			if len(c.want) == 0 {
				if got, ok := e.Next(after, c.loc, time.Time{}); ok {
					t.Fatalf("fires at %s, want never", got.UTC())
				}
			}
		})
	}
}

func TestRateCountsFixedDurationsFromItsAnchor(t *testing.T) {
	e, err := Parse("rate(1 day)")
	if err != nil {
		t.Fatal(err)
	}
	// Anchored before New York's spring-forward: a day is 24 hours, so
	// the local time of the tick moves by the hour (EventBridge's rate).
	anchor := time.Date(2026, 3, 7, 17, 0, 0, 0, time.UTC)
	if got, _ := e.Next(anchor.Add(-time.Second), nil, anchor); !got.Equal(anchor) {
		t.Fatalf("first tick %s, want the anchor %s", got, anchor)
	}
	got, _ := e.Next(anchor, nil, anchor)
	if want := anchor.Add(24 * time.Hour); !got.Equal(want) {
		t.Fatalf("second tick %s, want %s", got, want)
	}
	e5, _ := Parse("rate(5 minutes)")
	if got, _ := e5.Next(anchor.Add(12*time.Minute), nil, anchor); !got.Equal(anchor.Add(15 * time.Minute)) {
		t.Fatalf("rate(5 minutes) after 12 minutes: %s", got)
	}
	if e5.Rate() != 5*time.Minute {
		t.Fatalf("rate %s", e5.Rate())
	}
}
