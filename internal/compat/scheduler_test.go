package compat

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// The real AWS SDK's EventBridge Scheduler client manages schedules on the
// one endpoint, and a schedule it makes fires the function.
func TestSchedulerSDK(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "tick", Runtime: "python3.11", Handler: "app.handler", Zip: eventLogger(t, "")}); err != nil {
		t.Fatal(err)
	}
	c := scheduler.New(scheduler.Options{
		Region: "local", BaseEndpoint: aws.String(p.endpoint), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(p.key.AccessKeyID, p.key.SecretAccessKey, ""),
	})
	// The key's tenant is not necessarily "default": take its account from
	// the function's ARN.
	f, err := api.GetFunction(ctx, "tick")
	if err != nil {
		t.Fatal(err)
	}
	fnARN := f.ARN()
	account := fn.AccountID(f.Tenant)
	start := time.Now().Add(time.Hour).Truncate(time.Second)
	created, err := c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("nightly"), ScheduleExpression: aws.String("cron(0 2 * * ? *)"),
		ScheduleExpressionTimezone: aws.String("Europe/Berlin"), StartDate: aws.Time(start),
		Description:        aws.String("the nightly report"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(15)},
		Target:             &types.Target{Arn: aws.String(fnARN), RoleArn: aws.String("arn:aws:iam::" + account + ":role/scheduler"), Input: aws.String(`{"input":"sdk"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:scheduler:local:" + account + ":schedule/default/nightly"; aws.ToString(created.ScheduleArn) != want {
		t.Fatalf("ScheduleArn %s, want %s", aws.ToString(created.ScheduleArn), want)
	}
	got, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.ScheduleExpression) != "cron(0 2 * * ? *)" || aws.ToString(got.ScheduleExpressionTimezone) != "Europe/Berlin" ||
		got.State != types.ScheduleStateEnabled || aws.ToString(got.Target.Arn) != fnARN || aws.ToString(got.Target.Input) != `{"input":"sdk"}` ||
		!aws.ToTime(got.StartDate).Equal(start) || got.FlexibleTimeWindow.Mode != types.FlexibleTimeWindowModeFlexible ||
		aws.ToInt32(got.FlexibleTimeWindow.MaximumWindowInMinutes) != 15 || aws.ToString(got.GroupName) != "default" ||
		aws.ToString(got.Description) != "the nightly report" || got.CreationDate == nil {
		t.Fatalf("GetSchedule: %+v", got)
	}
	// Update: a one-time schedule a second away, which then fires.
	at := time.Now().UTC().Add(2 * time.Second).Truncate(time.Second)
	if _, err := c.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: aws.String("nightly"), ScheduleExpression: aws.String("at(" + at.Format("2006-01-02T15:04:05") + ")"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String(fnARN), RoleArn: aws.String("arn:aws:iam::" + account + ":role/scheduler")},
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the updated schedule's event", func() bool {
		evs := logged[scheduledEvent](ctx, t, api, "tick", "EVENT ")
		return len(evs) == 1 && evs[0].DetailType == "Scheduled Event" && evs[0].Time == at.Format(time.RFC3339)
	})
	if _, err := c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("every5"), ScheduleExpression: aws.String("rate(5 minutes)"), State: types.ScheduleStateDisabled,
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String(fnARN + ":$LATEST"), RoleArn: aws.String("arn:aws:iam::" + account + ":role/scheduler")},
	}); err != nil {
		t.Fatal(err)
	}
	var names []string
	pages := scheduler.NewListSchedulesPaginator(c, &scheduler.ListSchedulesInput{MaxResults: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Schedules {
			names = append(names, aws.ToString(s.Name)+"/"+string(s.State))
		}
	}
	if len(names) != 2 || names[0] != "every5/DISABLED" || names[1] != "nightly/COMPLETED" {
		t.Fatalf("ListSchedules pages: %v", names)
	}
	// Errors carry EventBridge Scheduler's codes.
	var nf *types.ResourceNotFoundException
	if _, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nope")}); !errors.As(err, &nf) {
		t.Errorf("GetSchedule of a missing schedule: %v", err)
	}
	var conflict *types.ConflictException
	_, err = c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("every5"), ScheduleExpression: aws.String("rate(5 minutes)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String(fnARN), RoleArn: aws.String("r")},
	})
	if !errors.As(err, &conflict) {
		t.Errorf("CreateSchedule of an existing name: %v", err)
	}
	var invalid *types.ValidationException
	_, err = c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("bad"), ScheduleExpression: aws.String("cron(0 2 * * * *)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String(fnARN), RoleArn: aws.String("r")},
	})
	if !errors.As(err, &invalid) || invalid.ErrorMessage() == "" {
		t.Errorf("CreateSchedule with a bad cron: %v", err)
	}
	if _, err := c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("every5")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("every5")}); !errors.As(err, &nf) {
		t.Errorf("GetSchedule after DeleteSchedule: %v", err)
	}
}
