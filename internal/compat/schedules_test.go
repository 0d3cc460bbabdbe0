package compat

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/fn"
)

// scheduledEvent is what the schedule test function logs.
type scheduledEvent struct {
	Version    string         `json:"version"`
	ID         string         `json:"id"`
	DetailType string         `json:"detail-type"`
	Source     string         `json:"source"`
	Account    string         `json:"account"`
	Time       string         `json:"time"`
	Region     string         `json:"region"`
	Resources  []string       `json:"resources"`
	Detail     map[string]any `json:"detail"`
	Input      string         `json:"input"` // set by a schedule's --input
}

// eventLogger is a Python function that logs every event it gets.
func eventLogger(t *testing.T, yaml string) []byte {
	files := map[string]string{"app.py": `import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    return "ok"
`}
	if yaml != "" {
		files["updraft.yaml"] = yaml
	}
	return zipOf(t, files)
}

// daemonAt runs a daemon on dataDir until stop (or the test's end).
func daemonAt(t *testing.T, dataDir string) (api *apiclient.Client, stop func()) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.Listen = "127.0.0.1:0"
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("close daemon: %v", err)
		}
	}
	t.Cleanup(stop)
	admin, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	return apiclient.New("http://"+d.Addr(), strings.TrimSpace(string(admin))), stop
}

// atIn is an at() expression d from now, in UTC.
func atIn(d time.Duration) (string, time.Time) {
	t := time.Now().UTC().Add(d).Truncate(time.Second)
	return "at(" + t.Format("2006-01-02T15:04:05") + ")", t
}

// waitFor polls until cond holds (a deadline, not a measurement).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestScheduleDeliversScheduledEventAndInput(t *testing.T) {
	api, _ := daemonAt(t, t.TempDir())
	ctx := context.Background()
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "tick", Runtime: "python3.11", Handler: "app.handler", Zip: eventLogger(t, "")}); err != nil {
		t.Fatal(err)
	}
	expr, at := atIn(2 * time.Second)
	if _, err := api.CreateSchedule(ctx, apiclient.Schedule{Name: "soon", Expression: expr, Function: "tick"}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateSchedule(ctx, apiclient.Schedule{Name: "with-input", Expression: expr, Function: "tick", Input: []byte(`{"input":"hello"}`)}); err != nil {
		t.Fatal(err)
	}
	var got []scheduledEvent
	waitFor(t, "both schedules' events", func() bool {
		got = logged[scheduledEvent](ctx, t, api, "tick", "EVENT ")
		return len(got) >= 2
	})
	var ev, in scheduledEvent
	for _, e := range got {
		if e.Input != "" {
			in = e
		} else {
			ev = e
		}
	}
	account := fn.AccountID("default")
	if ev.Version != "0" || ev.DetailType != "Scheduled Event" || ev.Source != "aws.scheduler" || ev.Account != account ||
		ev.Time != at.Format(time.RFC3339) || ev.Region != fn.Region || len(ev.ID) != 36 || ev.Detail == nil ||
		len(ev.Resources) != 1 || ev.Resources[0] != "arn:aws:scheduler:"+fn.Region+":"+account+":schedule/default/soon" {
		t.Errorf("scheduled event %+v", ev)
	}
	if in.Input != "hello" || in.DetailType != "" {
		t.Errorf("the schedule with input delivered %+v", in)
	}
	waitFor(t, "the one-time schedules to complete", func() bool {
		list, err := api.ListSchedules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(list) == 2 && list[0].State == "COMPLETED" && list[1].State == "COMPLETED" && list[0].Fired == 1 && list[1].Fired == 1
	})
	// Another tenant sees none of them.
	if _, err := api.CreateTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	k, err := api.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	acme := apiclient.New(api.Endpoint, k.APIKey)
	if _, err := acme.GetSchedule(ctx, "soon"); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("another tenant's GetSchedule: %v", err)
	}
	if list, err := acme.ListSchedules(ctx); err != nil || len(list) != 0 {
		t.Errorf("another tenant's ListSchedules: %+v %v", list, err)
	}
	if err := acme.DeleteSchedule(ctx, "soon"); err == nil {
		t.Error("another tenant deleted the schedule")
	}
	// A tenant with a schedule is deleted only with everything it owns.
	if _, err := acme.CreateSchedule(ctx, apiclient.Schedule{Name: "x", Expression: "rate(1 day)", Function: "tick"}); err == nil {
		t.Error("acme made a schedule of a function it does not have")
	}
	if _, _, err := acme.Deploy(ctx, apiclient.DeployRequest{Name: "f", Runtime: "python3.11", Handler: "app.handler", Zip: eventLogger(t, "")}); err != nil {
		t.Fatal(err)
	}
	if _, err := acme.CreateSchedule(ctx, apiclient.Schedule{Name: "x", Expression: "rate(1 day)", Function: "f", State: "DISABLED"}); err != nil {
		t.Fatal(err)
	}
	if err := api.DeleteFunction(ctx, "f"); err == nil {
		t.Error("the default tenant deleted acme's function")
	}
	if err := api.DeleteTenant(ctx, "acme", false); err == nil || !strings.Contains(err.Error(), "1 schedules") {
		t.Errorf("deleting a tenant that has a schedule: %v", err)
	}
	if err := api.DeleteTenant(ctx, "acme", true); err != nil {
		t.Errorf("deleting a tenant with --force: %v", err)
	}
	// Bad input is refused with what is wrong.
	_, err = api.CreateSchedule(ctx, apiclient.Schedule{Name: "bad", Expression: "cron(0 12 * * * *)", Function: "tick"})
	if err == nil || !strings.Contains(err.Error(), "exactly one of day-of-month") {
		t.Errorf("a bad cron: %v", err)
	}
	_, err = api.CreateSchedule(ctx, apiclient.Schedule{Name: "bad", Expression: "rate(1 hour)", Function: "nope"})
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("a schedule of a missing function: %v", err)
	}
}

// A tick that comes while no server runs follows the schedule's catch-up
// policy after the restart: one fires it once (and never again), none
// skips it; both one-time schedules end COMPLETED.
func TestScheduleCatchUpAcrossARestart(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	dir := t.TempDir()
	api, stop := daemonAt(t, dir)
	ctx := context.Background()
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "tick", Runtime: "python3.11", Handler: "app.handler", Zip: eventLogger(t, "")}); err != nil {
		t.Fatal(err)
	}
	expr, at := atIn(3 * time.Second)
	for name, catchUp := range map[string]string{"one": "one", "none": "none"} {
		if _, err := api.CreateSchedule(ctx, apiclient.Schedule{Name: name, Expression: expr, Function: "tick", CatchUp: catchUp}); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	// The tick passes while down, and is missed: more than 10 s late.
	time.Sleep(time.Until(at) + 11*time.Second)
	api, _ = daemonAt(t, dir)
	waitFor(t, "both schedules to complete", func() bool {
		list, err := api.ListSchedules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(list) == 2 && list[0].State == "COMPLETED" && list[1].State == "COMPLETED"
	})
	var got []scheduledEvent
	waitFor(t, "the missed tick's event", func() bool {
		got = logged[scheduledEvent](ctx, t, api, "tick", "EVENT ")
		return len(got) >= 1
	})
	// A few more scans find nothing more to fire.
	time.Sleep(3 * time.Second)
	got = logged[scheduledEvent](ctx, t, api, "tick", "EVENT ")
	if len(got) != 1 || got[0].Time != at.Format(time.RFC3339) || got[0].Resources[0] != "arn:aws:scheduler:local:"+fn.AccountID("default")+":schedule/default/one" {
		t.Fatalf("after the restart the function got %+v, want the missed tick of schedule one, once", got)
	}
	one, _ := api.GetSchedule(ctx, "one")
	none, _ := api.GetSchedule(ctx, "none")
	if one.Fired != 1 || one.LastTick == nil || !one.LastTick.Equal(at) || none.Fired != 0 || none.Skipped != 1 {
		t.Fatalf("status: one %+v, none %+v", one, none)
	}
}

// updraft.yaml's `type: schedule` entries are applied by deploy, replaced
// by the next deploy, and removed with the function; schedules made with
// the API stay.
func TestScheduleYAMLTrigger(t *testing.T) {
	api, _ := daemonAt(t, t.TempDir())
	ctx := context.Background()
	deploy := func(yaml string) error {
		_, _, err := api.Deploy(ctx, apiclient.DeployRequest{Zip: eventLogger(t, yaml)})
		return err
	}
	const head = "name: report\nruntime: python3.11\nhandler: app.handler\n"
	expr, _ := atIn(2 * time.Second)
	err := deploy(head + "triggers:\n  - type: schedule\n    expression: cron(0 2 * * ? *)\n    timezone: Europe/Berlin\n    start: 2026-01-01T00:00:00Z\n    end: 2199-01-01T00:00:00+01:00\n    flexible_window: 10\n    catch_up: all\n" +
		"  - type: schedule\n    name: soon\n    expression: " + expr + "\n    input: {\"input\": \"from-yaml\"}\n")
	if err != nil {
		t.Fatal(err)
	}
	list, err := api.ListSchedules(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "report-1" || list[1].Name != "soon" ||
		list[0].Owner != "yaml:report" || list[0].Timezone != "Europe/Berlin" || list[0].NextTick == nil ||
		list[0].Start == nil || !list[0].Start.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) ||
		list[0].End == nil || list[0].End.Year() != 2198 || list[0].FlexibleWindow != 10 || list[0].CatchUp != "all" {
		t.Fatalf("after deploy: %+v %v", list, err)
	}
	waitFor(t, "the yaml schedule's input", func() bool {
		got := logged[scheduledEvent](ctx, t, api, "report", "EVENT ")
		return len(got) == 1 && got[0].Input == "from-yaml"
	})
	if _, err := api.CreateSchedule(ctx, apiclient.Schedule{Name: "by-hand", Expression: "rate(1 day)", Function: "report"}); err != nil {
		t.Fatal(err)
	}
	// A bad entry is refused before anything changes.
	err = deploy(head + "triggers:\n  - type: schedule\n    expression: rate(1 days)\n")
	if err == nil || !strings.Contains(err.Error(), "singular") {
		t.Fatalf("deploy with a bad expression: %v", err)
	}
	err = deploy(head + "triggers:\n  - type: schedule\n    name: by-hand\n    expression: rate(2 days)\n")
	if err == nil || !strings.Contains(err.Error(), "made with the CLI or API") {
		t.Fatalf("deploy declaring a schedule made by hand: %v", err)
	}
	// Redeploy with one changed entry: the others go.
	if err := deploy(head + "triggers:\n  - type: schedule\n    expression: rate(5 minutes)\n"); err != nil {
		t.Fatal(err)
	}
	list, _ = api.ListSchedules(ctx)
	if len(list) != 2 || list[0].Name != "by-hand" || list[1].Name != "report-1" || list[1].Expression != "rate(5 minutes)" {
		t.Fatalf("after redeploy: %+v", list)
	}
	if err := api.DeleteFunction(ctx, "report"); err != nil {
		t.Fatal(err)
	}
	list, _ = api.ListSchedules(ctx)
	if len(list) != 1 || list[0].Name != "by-hand" {
		t.Fatalf("after the function's deletion: %+v (the API-made schedule stays)", list)
	}
}

// examples/nightly-report deploys with its two schedules and makes its
// report from a Scheduled Event.
func TestNightlyReportExample(t *testing.T) {
	api, _ := daemonAt(t, t.TempDir())
	ctx := context.Background()
	dir := filepath.Join("..", "..", "examples", "nightly-report")
	files := map[string]string{}
	for _, name := range []string{"app.py", "updraft.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Zip: zipOf(t, files)}); err != nil {
		t.Fatal(err)
	}
	list, err := api.ListSchedules(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "nightly-report" || list[1].Name != "weekly-summary" ||
		list[0].NextTick == nil || list[0].NextTick.Minute() != 0 || string(list[1].Input) != `{"report":"weekly"}` {
		t.Fatalf("the example's schedules: %+v %v", list, err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if h := list[0].NextTick.In(berlin).Hour(); h != 2 {
		t.Fatalf("next nightly tick at %s, want 02:00 in Berlin", list[0].NextTick.In(berlin))
	}
	res, err := api.Invoke(ctx, "nightly-report", []byte(`{"version":"0","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-03-08T01:00:00Z","resources":["arn:aws:scheduler:local:1:schedule/default/nightly-report"],"detail":{}}`))
	if err != nil || !strings.Contains(string(res.Payload), `"day": "2026-03-07"`) {
		t.Fatalf("invoke: %v %+v", err, res)
	}
}
