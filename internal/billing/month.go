package billing

import (
	"fmt"
	"time"
)

// Month is a calendar month in UTC.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf is the month t falls in (UTC).
func MonthOf(t time.Time) Month {
	t = t.UTC()
	return Month{Year: t.Year(), Month: t.Month()}
}

// ParseMonth reads "2026-11".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, fmt.Errorf("month %q: use YYYY-MM, such as 2026-11", s)
	}
	return MonthOf(t), nil
}

// Start is the month's first instant.
func (m Month) Start() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC) }

// End is the next month's first instant.
func (m Month) End() time.Time { return m.Start().AddDate(0, 1, 0) }

// Contains reports whether t is in the month.
func (m Month) Contains(t time.Time) bool { return !t.Before(m.Start()) && t.Before(m.End()) }

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }
