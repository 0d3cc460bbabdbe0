package scheduler

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/schedule"
)

// EventBridge Scheduler's REST-JSON shapes. Timestamps are epoch seconds
// (JSON numbers), the protocol's default.

type epoch struct{ time.Time }

func (e epoch) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(e.UnixMilli()) / 1000)
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	sec, frac := math.Modf(f)
	e.Time = time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
	return nil
}

func epochOf(t *time.Time) *epoch {
	if t == nil {
		return nil
	}
	return &epoch{*t}
}

type flexibleTimeWindow struct {
	Mode                   string `json:"Mode"` // OFF or FLEXIBLE
	MaximumWindowInMinutes *int   `json:"MaximumWindowInMinutes,omitempty"`
}

type target struct {
	Arn              string          `json:"Arn"`
	RoleArn          string          `json:"RoleArn,omitempty"`
	Input            *string         `json:"Input,omitempty"`
	RetryPolicy      json.RawMessage `json:"RetryPolicy,omitempty"`
	DeadLetterConfig json.RawMessage `json:"DeadLetterConfig,omitempty"`
}

// scheduleInput is CreateSchedule's and UpdateSchedule's body.
type scheduleInput struct {
	ActionAfterCompletion      string              `json:"ActionAfterCompletion"`
	ClientToken                string              `json:"ClientToken"`
	Description                string              `json:"Description"`
	EndDate                    *epoch              `json:"EndDate"`
	FlexibleTimeWindow         *flexibleTimeWindow `json:"FlexibleTimeWindow"`
	GroupName                  string              `json:"GroupName"`
	KmsKeyArn                  string              `json:"KmsKeyArn"`
	ScheduleExpression         string              `json:"ScheduleExpression"`
	ScheduleExpressionTimezone string              `json:"ScheduleExpressionTimezone"`
	StartDate                  *epoch              `json:"StartDate"`
	State                      string              `json:"State"`
	Target                     *target             `json:"Target"`
}

// getOutput is GetSchedule's answer.
type getOutput struct {
	Arn                        string              `json:"Arn"`
	CreationDate               epoch               `json:"CreationDate"`
	Description                string              `json:"Description,omitempty"`
	EndDate                    *epoch              `json:"EndDate,omitempty"`
	FlexibleTimeWindow         *flexibleTimeWindow `json:"FlexibleTimeWindow"`
	GroupName                  string              `json:"GroupName"`
	LastModificationDate       epoch               `json:"LastModificationDate"`
	Name                       string              `json:"Name"`
	ScheduleExpression         string              `json:"ScheduleExpression"`
	ScheduleExpressionTimezone string              `json:"ScheduleExpressionTimezone,omitempty"`
	StartDate                  *epoch              `json:"StartDate,omitempty"`
	State                      string              `json:"State"`
	Target                     target              `json:"Target"`
}

// summary is one entry of ListSchedules.
type summary struct {
	Arn                  string `json:"Arn"`
	CreationDate         epoch  `json:"CreationDate"`
	GroupName            string `json:"GroupName"`
	LastModificationDate epoch  `json:"LastModificationDate"`
	Name                 string `json:"Name"`
	State                string `json:"State"`
	Target               struct {
		Arn string `json:"Arn"`
	} `json:"Target"`
}

// toSchedule turns an input into a schedule of tenant.
func (in *scheduleInput) toSchedule(tenant, name string) (schedule.Schedule, error) {
	if in.GroupName != "" && in.GroupName != schedule.Group {
		return schedule.Schedule{}, groupNotFound(in.GroupName)
	}
	if in.ActionAfterCompletion != "" && in.ActionAfterCompletion != "NONE" {
		return schedule.Schedule{}, fn.Validation("ActionAfterCompletion %s is not offered: a one-time schedule that fired stays, COMPLETED (use NONE)", in.ActionAfterCompletion)
	}
	if in.Target == nil || in.Target.Arn == "" {
		return schedule.Schedule{}, fn.Validation("Target.Arn is required: the ARN of a function, arn:aws:lambda:%s:%s:function:NAME[:QUALIFIER]", fn.Region, fn.AccountID(tenant))
	}
	if in.FlexibleTimeWindow == nil {
		return schedule.Schedule{}, fn.Validation(`FlexibleTimeWindow is required: {"Mode": "OFF"} or {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1-1440}`)
	}
	account, rest, ok := wire.SplitARN(in.Target.Arn)
	if !ok || !strings.HasPrefix(in.Target.Arn, "arn:") {
		return schedule.Schedule{}, fn.Validation("Target.Arn %q is not a function ARN: Updraft's schedules invoke functions (arn:aws:lambda:%s:%s:function:NAME)", in.Target.Arn, fn.Region, fn.AccountID(tenant))
	}
	if account != fn.AccountID(tenant) {
		return schedule.Schedule{}, fn.NotFound("Function not found: %s", in.Target.Arn)
	}
	function, qualifier, _ := strings.Cut(rest, ":")
	sc := schedule.Schedule{
		Name: name, Expression: in.ScheduleExpression, Function: function, Qualifier: qualifier,
		Timezone: in.ScheduleExpressionTimezone, State: in.State, Description: in.Description,
	}
	if in.Target.Input != nil {
		if !json.Valid([]byte(*in.Target.Input)) {
			return schedule.Schedule{}, fn.Validation("Target.Input is not JSON: a function's input is a JSON document")
		}
		sc.Input = json.RawMessage(*in.Target.Input)
	}
	if in.StartDate != nil {
		sc.Start = &in.StartDate.Time
	}
	if in.EndDate != nil {
		sc.End = &in.EndDate.Time
	}
	switch w := in.FlexibleTimeWindow; w.Mode {
	case "OFF":
	case "FLEXIBLE":
		if w.MaximumWindowInMinutes == nil || *w.MaximumWindowInMinutes < 1 {
			return schedule.Schedule{}, fn.Validation("FlexibleTimeWindow.MaximumWindowInMinutes is 1 to 1440 when Mode is FLEXIBLE")
		}
		sc.FlexibleWindow = *w.MaximumWindowInMinutes
	default:
		return schedule.Schedule{}, fn.Validation("FlexibleTimeWindow.Mode is OFF or FLEXIBLE, not %q", w.Mode)
	}
	return sc, nil
}

func functionARN(tenant string, sc *schedule.Schedule) string {
	return fn.ARN(tenant, sc.Function, sc.Qualifier)
}

func toGetOutput(tenant string, sc *schedule.Schedule) getOutput {
	out := getOutput{
		Arn: sc.ARN, CreationDate: epoch{sc.Created}, Description: sc.Description, EndDate: epochOf(sc.End),
		FlexibleTimeWindow: &flexibleTimeWindow{Mode: "OFF"}, GroupName: schedule.Group,
		LastModificationDate: epoch{sc.LastModified}, Name: sc.Name, ScheduleExpression: sc.Expression,
		ScheduleExpressionTimezone: sc.Timezone, StartDate: epochOf(sc.Start), State: sc.State,
		Target: target{Arn: functionARN(tenant, sc)},
	}
	if sc.FlexibleWindow > 0 {
		w := sc.FlexibleWindow
		out.FlexibleTimeWindow = &flexibleTimeWindow{Mode: "FLEXIBLE", MaximumWindowInMinutes: &w}
	}
	if len(sc.Input) > 0 {
		in := string(sc.Input)
		out.Target.Input = &in
	}
	return out
}

func groupNotFound(g string) error {
	return fn.NotFound("Schedule group %s does not exist: Updraft has the one group, default", g)
}
