package stack

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// schedulerRole is the role name of the placeholder Target.RoleArn: the
// AWS API requires one, Updraft's scheduler invokes the function as its
// tenant and ignores it.
const schedulerRole = "updraft-scheduler"

// scheduleInput is what CreateSchedule and UpdateSchedule share.
type scheduleInput struct {
	expression, timezone, description *string
	start, end                        *time.Time
	state                             schedtypes.ScheduleState
	window                            *schedtypes.FlexibleTimeWindow
	target                            *schedtypes.Target
}

func wantSchedule(r *Resource) (scheduleInput, error) {
	spec := r.Schedule
	in := scheduleInput{expression: aws.String(spec.Expression), state: schedtypes.ScheduleStateEnabled,
		window: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff}}
	if spec.State != "" {
		in.state = schedtypes.ScheduleState(spec.State)
	}
	if spec.Timezone != "" {
		in.timezone = aws.String(spec.Timezone)
	}
	if spec.Description != "" {
		in.description = aws.String(spec.Description)
	}
	for _, d := range []struct {
		prop, text string
		dst        **time.Time
	}{{"StartDate", spec.StartDate, &in.start}, {"EndDate", spec.EndDate, &in.end}} {
		if d.text == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, d.text)
		if err != nil {
			return scheduleInput{}, svcRefuse(r, http.StatusBadRequest, ValidationError, "property %s: %q is not a date and time (RFC 3339: 2026-01-02T03:04:05Z)", d.prop, d.text)
		}
		*d.dst = &t
	}
	if spec.FlexibleWindowMins > 0 {
		in.window = &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(int32(spec.FlexibleWindowMins))}
	}
	t := &schedtypes.Target{Arn: aws.String(spec.TargetARN), RoleArn: aws.String(placeholderRole(spec.TargetARN))}
	if spec.Input != "" {
		t.Input = aws.String(spec.Input)
	}
	if spec.MaxRetries != nil || spec.MaxEventAgeSec != nil {
		t.RetryPolicy = &schedtypes.RetryPolicy{}
		if spec.MaxRetries != nil {
			t.RetryPolicy.MaximumRetryAttempts = aws.Int32(int32(*spec.MaxRetries))
		}
		if spec.MaxEventAgeSec != nil {
			t.RetryPolicy.MaximumEventAgeInSeconds = aws.Int32(int32(*spec.MaxEventAgeSec))
		}
	}
	if spec.DeadLetterARN != "" {
		t.DeadLetterConfig = &schedtypes.DeadLetterConfig{Arn: aws.String(spec.DeadLetterARN)}
	}
	in.target = t
	return in, nil
}

// placeholderRole is arn:aws:iam::ACCOUNT:role/updraft-scheduler of the
// target's account.
func placeholderRole(target string) string {
	account := ""
	if parts := strings.SplitN(target, ":", 6); len(parts) == 6 {
		account = parts[4]
	}
	return "arn:aws:iam::" + account + ":role/" + schedulerRole
}

func (s *Services) applySchedule(ctx context.Context, r *Resource) error {
	want, err := wantSchedule(r)
	if err != nil {
		return err
	}
	got, err := s.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(r.Name)})
	if svcIsCode(err, "ResourceNotFoundException") {
		_, err := s.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String(r.Name),
			ScheduleExpression: want.expression, ScheduleExpressionTimezone: want.timezone, Description: want.description,
			StartDate: want.start, EndDate: want.end, State: want.state, FlexibleTimeWindow: want.window, Target: want.target})
		if err != nil {
			return svcFailed(r, "CreateSchedule", err)
		}
		return nil
	} else if err != nil {
		return svcFailed(r, "GetSchedule", err)
	}
	if sameSchedule(got, want) {
		return nil
	}
	_, err = s.sched.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{Name: aws.String(r.Name),
		ScheduleExpression: want.expression, ScheduleExpressionTimezone: want.timezone, Description: want.description,
		StartDate: want.start, EndDate: want.end, State: want.state, FlexibleTimeWindow: want.window, Target: want.target})
	if err != nil {
		return svcFailed(r, "UpdateSchedule", err)
	}
	return nil
}

// sameSchedule compares what GetSchedule returns with want (the target's
// retry policy and dead-letter queue are not returned: they do not make
// a difference).
func sameSchedule(got *scheduler.GetScheduleOutput, want scheduleInput) bool {
	sameTime := func(a, b *time.Time) bool {
		return a == nil && b == nil || a != nil && b != nil && a.Truncate(time.Second).Equal(b.Truncate(time.Second))
	}
	gotWindow := int32(0)
	if w := got.FlexibleTimeWindow; w != nil && w.Mode == schedtypes.FlexibleTimeWindowModeFlexible {
		gotWindow = aws.ToInt32(w.MaximumWindowInMinutes)
	}
	gotTarget, gotInput := "", ""
	if t := got.Target; t != nil {
		gotTarget, gotInput = aws.ToString(t.Arn), aws.ToString(t.Input)
	}
	return aws.ToString(got.ScheduleExpression) == aws.ToString(want.expression) &&
		aws.ToString(got.ScheduleExpressionTimezone) == aws.ToString(want.timezone) &&
		aws.ToString(got.Description) == aws.ToString(want.description) &&
		got.State == want.state && sameTime(got.StartDate, want.start) && sameTime(got.EndDate, want.end) &&
		gotWindow == aws.ToInt32(want.window.MaximumWindowInMinutes) &&
		gotTarget == aws.ToString(want.target.Arn) && svcSameValue(gotInput, aws.ToString(want.target.Input))
}

func (s *Services) deleteSchedule(ctx context.Context, r *Resource) error {
	_, err := s.sched.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(r.Name)})
	if err != nil && !svcIsCode(err, "ResourceNotFoundException") {
		return svcFailed(r, "DeleteSchedule", err)
	}
	return nil
}
