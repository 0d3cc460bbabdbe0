package schedule

import (
	"encoding/json"
	"regexp"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// States of a schedule.
const (
	StateEnabled   = "ENABLED"
	StateDisabled  = "DISABLED"
	StateCompleted = "COMPLETED" // a one-time schedule that fired
)

// Catch-up policies: what happens to ticks missed while no node ran.
const (
	CatchUpNone = "none" // skip them; fire the next future tick
	CatchUpOne  = "one"  // fire the most recent missed tick once (default)
	CatchUpAll  = "all"  // fire every missed tick, the latest MaxCatchUp
)

// MaxCatchUp bounds the missed ticks catch-up "all" fires at once.
const MaxCatchUp = 1000

// Group is the one schedule group (EventBridge Scheduler's default).
const Group = "default"

// OwnerYAMLPrefix marks a schedule declared by a function's updraft.yaml
// ("yaml:FUNCTION"); deploys replace those and only those.
const OwnerYAMLPrefix = "yaml:"

// Schedule is one schedule: when it fires and which function it invokes.
type Schedule struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	Function   string `json:"function"`
	Qualifier  string `json:"qualifier,omitempty"`
	// Input is the payload sent instead of the Scheduled Event.
	Input    json.RawMessage `json:"input,omitempty"`
	Timezone string          `json:"timezone,omitempty"` // IANA; "" is UTC
	Start    *time.Time      `json:"start,omitempty"`
	End      *time.Time      `json:"end,omitempty"`
	// FlexibleWindow delays each tick by up to this many minutes (0: off).
	FlexibleWindow int    `json:"flexible_window,omitempty"`
	CatchUp        string `json:"catch_up,omitempty"`
	State          string `json:"state,omitempty"`
	Owner          string `json:"owner,omitempty"` // "yaml:FUNCTION" when declared in updraft.yaml
	Description    string `json:"description,omitempty"`

	ARN          string    `json:"arn,omitempty"`
	Created      time.Time `json:"created,omitzero"`
	LastModified time.Time `json:"last_modified,omitzero"`
	// Since is when the schedule last began to run (created, changed or
	// resumed): recurring ticks before it are not fired.
	Since time.Time `json:"since,omitzero"`

	// Status, filled in by Get and List.
	LastTick *time.Time `json:"last_tick,omitempty"`
	NextTick *time.Time `json:"next_tick,omitempty"`
	Fired    int64      `json:"fired,omitempty"`
	Skipped  int64      `json:"skipped,omitempty"` // missed ticks the catch-up policy did not fire
	Dropped  int64      `json:"dropped,omitempty"` // ticks when the function did not exist

	revision uint64
}

// ARN is a schedule's ARN in tenant.
func ARN(tenant, name string) string {
	return "arn:aws:scheduler:" + fn.Region + ":" + fn.AccountID(tenant) + ":schedule/" + Group + "/" + name
}

var nameRE = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// MaxFlexibleWindow is EventBridge Scheduler's largest window, minutes.
const MaxFlexibleWindow = 1440

// Validate checks a schedule as given by a caller and fills in defaults.
// It returns the parsed expression and time zone.
func (s *Schedule) Validate() (*Expression, *time.Location, error) {
	if !nameRE.MatchString(s.Name) {
		return nil, nil, fn.Validation("schedule name %q: use 1 to 64 letters, digits, '-' or '_'", s.Name)
	}
	if s.Function == "" {
		return nil, nil, fn.Validation("schedule %s names no function: give --function NAME[:ALIAS]", s.Name)
	}
	e, err := Parse(s.Expression)
	if err != nil {
		return nil, nil, err
	}
	s.Expression = e.String()
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil || s.Timezone == "Local" {
		return nil, nil, fn.Validation("schedule %s: time zone %q is not an IANA time zone name (e.g. America/New_York, Europe/Berlin, UTC)", s.Name, s.Timezone)
	}
	if len(s.Description) > 512 {
		return nil, nil, fn.Validation("schedule %s: the description is longer than 512 characters", s.Name)
	}
	if len(s.Input) > 0 && !json.Valid(s.Input) {
		return nil, nil, fn.Validation("schedule %s: the input is not valid JSON", s.Name)
	}
	if len(s.Input) > fn.MaxAsyncPayload {
		return nil, nil, fn.Validation("schedule %s: the input is larger than %d bytes", s.Name, fn.MaxAsyncPayload)
	}
	for _, t := range []**time.Time{&s.Start, &s.End} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	if s.Start != nil && s.End != nil && !s.End.After(*s.Start) {
		return nil, nil, fn.Validation("schedule %s: end %s is not after start %s", s.Name, s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339))
	}
	if s.FlexibleWindow < 0 || s.FlexibleWindow > MaxFlexibleWindow {
		return nil, nil, fn.Validation("schedule %s: the flexible window is 0 (off) to %d minutes, not %d", s.Name, MaxFlexibleWindow, s.FlexibleWindow)
	}
	switch s.CatchUp {
	case "":
		s.CatchUp = CatchUpOne
	case CatchUpNone, CatchUpOne, CatchUpAll:
	default:
		return nil, nil, fn.Validation("schedule %s: catch-up is none, one or all, not %q", s.Name, s.CatchUp)
	}
	switch s.State {
	case "":
		s.State = StateEnabled
	case StateEnabled, StateDisabled, StateCompleted:
	default:
		return nil, nil, fn.Validation("schedule %s: state is ENABLED or DISABLED, not %q", s.Name, s.State)
	}
	return e, loc, nil
}

// sameDefinition reports whether a and b fire the same way at the same
// target (status and bookkeeping aside).
func sameDefinition(a, b *Schedule) bool {
	eqTime := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.Expression == b.Expression && a.Function == b.Function && a.Qualifier == b.Qualifier &&
		string(a.Input) == string(b.Input) && a.Timezone == b.Timezone && eqTime(a.Start, b.Start) &&
		eqTime(a.End, b.End) && a.FlexibleWindow == b.FlexibleWindow && a.CatchUp == b.CatchUp &&
		a.State == b.State && a.Owner == b.Owner && a.Description == b.Description
}
