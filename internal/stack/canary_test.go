package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// route is one RouteAlias call.
type route struct {
	primary, additional string
	weight              float64
}

// canaryPlatform is a small CanaryPlatform: it records routes and hook
// invocations in order, returns the call counts it is given, and has its
// hooks report through the HookStatuses the driver waits on, as a hook
// function calling PutLifecycleEventHookExecutionStatus would.
type canaryPlatform struct {
	statuses *HookStatuses

	mu          sync.Mutex
	events      []string // "route 1+2@0.5", "hook pre"
	routes      []route  // successful RouteAlias calls
	payloads    []map[string]string
	report      map[string]string // hook function → status it reports ("": none)
	hookErr     map[string]error  // hook function → its invocation's error
	calls, errs int
	failRoutes  int // refuse this many RouteAlias calls first (-1: all)
}

var _ CanaryPlatform = (*canaryPlatform)(nil)

func (p *canaryPlatform) RouteAlias(_ context.Context, tenant, function, alias, primary, additional string, weight float64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if tenant != "t1" || function != "api" || alias != "live" {
		return fmt.Errorf("routing %s/%s:%s, not t1/api:live", tenant, function, alias)
	}
	if p.failRoutes != 0 {
		p.failRoutes--
		return errors.New("registry unavailable")
	}
	p.routes = append(p.routes, route{primary, additional, weight})
	p.events = append(p.events, fmt.Sprintf("route %s+%s@%g", primary, additional, weight))
	return nil
}

func (p *canaryPlatform) InvokeHook(ctx context.Context, tenant, function string, payload []byte) error {
	var ev map[string]string
	if err := json.Unmarshal(payload, &ev); err != nil {
		return err
	}
	p.mu.Lock()
	p.events = append(p.events, "hook "+function)
	p.payloads = append(p.payloads, ev)
	st, err := p.report[function], p.hookErr[function]
	p.mu.Unlock()
	if st != "" {
		allow := func(string) error { return nil }
		if rerr := p.statuses.Report(tenant, ev["DeploymentId"], ev["LifecycleEventHookExecutionId"], st, allow); rerr != nil {
			return rerr
		}
	}
	return err
}

func (p *canaryPlatform) Calls(_ context.Context, tenant, function, version string, since time.Time) (int, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if version != "2" || since.IsZero() {
		return 0, 0, fmt.Errorf("counting version %s since %v, not the new version 2 since the start", version, since)
	}
	return p.calls, p.errs, nil
}

func (p *canaryPlatform) recorded() ([]route, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.routes), slices.Clone(p.events)
}

func newPlatform() *canaryPlatform {
	return &canaryPlatform{statuses: NewHookStatuses(), report: map[string]string{}, hookErr: map[string]error{}}
}

func (p *canaryPlatform) driver() *CanaryDriver {
	return NewCanaryDriver(p, slog.New(slog.DiscardHandler), p.statuses, CanaryOptions{HookGrace: 50 * time.Millisecond, RouteRetries: 2, RetryDelay: time.Millisecond})
}

// step is a saved state of the deployment.
type step struct {
	status string
	weight float64
}

// deploy runs dep to its end, returning the states saved on the way.
func runDeployment(t *testing.T, d *CanaryDriver, dep *Deployment) []step {
	t.Helper()
	var saved []step
	var progressed int
	save := func(_ context.Context, dep *Deployment) error {
		saved = append(saved, step{dep.Status, dep.Weight})
		return nil
	}
	if err := d.Run(context.Background(), dep, save, func(*Deployment) { progressed++ }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if progressed != len(saved) {
		t.Errorf("progress was called %d times for %d saves", progressed, len(saved))
	}
	if !dep.Done() {
		t.Errorf("Run returned with the deployment %s", dep.Status)
	}
	return saved
}

func newDeployment(typ string) *Deployment {
	return &Deployment{Tenant: "t1", Function: "api", Alias: "live", From: "1", To: "2",
		Preference: DeploymentPreference{Type: typ, Enabled: true}}
}

func TestCanaryShiftsOnSchedule(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	p.calls, p.errs = 9, 4 // 44%, below this deployment's 50% guard
	dep := newDeployment("Canary50Percent1Second")
	dep.Preference.MaxErrorRate = 0.5
	start := time.Now()
	saved := runDeployment(t, p.driver(), dep)

	routes, _ := p.recorded()
	if want := []route{{"1", "2", 0.5}, {"2", "", 0}}; !slices.Equal(routes, want) {
		t.Errorf("routes = %v, want %v", routes, want)
	}
	want := []step{{DeploymentPreTraffic, 0}, {DeploymentShifting, 0}, {DeploymentShifting, 0.5}, {DeploymentPostTraffic, 1}, {DeploymentSucceeded, 1}}
	if !slices.Equal(saved, want) {
		t.Errorf("saved %v, want %v", saved, want)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("the canary step lasted %v, less than its second", el)
	}
	if !strings.HasPrefix(dep.ID, "d-") || len(dep.ID) != 11 || dep.Reason != "" || dep.Started.IsZero() {
		t.Errorf("deployment %+v", dep)
	}
}

func TestLinearShiftsOnSchedule(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	dep := newDeployment("Linear34PercentEvery1Second")
	start := time.Now()
	saved := runDeployment(t, p.driver(), dep)

	routes, _ := p.recorded()
	if want := []route{{"1", "2", 0.34}, {"1", "2", 0.68}, {"2", "", 0}}; !slices.Equal(routes, want) {
		t.Errorf("routes = %v, want %v", routes, want)
	}
	if saved[len(saved)-1] != (step{DeploymentSucceeded, 1}) {
		t.Errorf("saved %v", saved)
	}
	if el := time.Since(start); el < 2*time.Second {
		t.Errorf("two linear steps lasted %v, less than their two seconds", el)
	}
}

func TestAllAtOnce(t *testing.T) {
	t.Parallel()
	for _, pref := range []DeploymentPreference{
		{Type: "AllAtOnce", Enabled: true},
		{Type: "Linear10PercentEvery10Minutes", Enabled: false}, // disabled: all at once
	} {
		p := newPlatform()
		dep := newDeployment("")
		dep.Preference = pref
		runDeployment(t, p.driver(), dep)
		routes, _ := p.recorded()
		if want := []route{{"2", "", 0}}; !slices.Equal(routes, want) || dep.Status != DeploymentSucceeded {
			t.Errorf("%+v: routes = %v (want %v), status %s", pref, routes, want, dep.Status)
		}
	}
}

func TestFirstVersionIsNoShift(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	dep := newDeployment("Canary10Percent30Minutes")
	dep.From = ""
	dep.Preference.PreTraffic = "pre"
	saved := runDeployment(t, p.driver(), dep)
	routes, events := p.recorded()
	if !slices.Equal(routes, []route{{"2", "", 0}}) || len(events) != 1 || !slices.Equal(saved, []step{{DeploymentSucceeded, 1}}) {
		t.Errorf("routes %v, events %v, saved %v: want the alias pointed at 2, no hook", routes, events, saved)
	}
}

func TestHooksRunInOrder(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	p.report["pre"] = HookSucceeded // reports, as a CodeDeploy hook does
	// post reports nothing: its successful invocation is the verdict.
	dep := newDeployment("Canary50Percent1Second")
	dep.Preference.PreTraffic, dep.Preference.PostTraffic = "pre", "post"
	runDeployment(t, p.driver(), dep)

	_, events := p.recorded()
	want := []string{"hook pre", "route 1+2@0.5", "route 2+@0", "hook post"}
	if !slices.Equal(events, want) || dep.Status != DeploymentSucceeded {
		t.Errorf("events %v (want %v), status %s %s", events, want, dep.Status, dep.Reason)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range p.payloads {
		if ev["DeploymentId"] != dep.ID || len(ev["LifecycleEventHookExecutionId"]) != 36 || len(ev) != 2 {
			t.Errorf("hook event %v, want DeploymentId %s and an execution id", ev, dep.ID)
		}
	}
	if p.payloads[0]["LifecycleEventHookExecutionId"] == p.payloads[1]["LifecycleEventHookExecutionId"] {
		t.Error("both hooks had the same execution id")
	}
}

func TestErrorRateRollsBack(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	p.calls, p.errs = 9, 4
	dep := newDeployment("Linear50PercentEvery2Seconds")
	dep.Preference.PostTraffic = "post"
	saved := runDeployment(t, p.driver(), dep)

	routes, events := p.recorded()
	if want := []route{{"1", "2", 0.5}, {"1", "", 0}}; !slices.Equal(routes, want) {
		t.Errorf("routes = %v, want %v (back to version 1 alone)", routes, want)
	}
	if slices.Contains(events, "hook post") {
		t.Errorf("the post-traffic hook ran on a rolled back deployment: %v", events)
	}
	if want := "version 2 failed 4 of 9 calls (44%), above the 5% guard"; dep.Status != DeploymentRolledBack || dep.Reason != want || dep.Weight != 0 {
		t.Errorf("status %s, weight %g, reason %q; want RolledBack, 0, %q", dep.Status, dep.Weight, dep.Reason, want)
	}
	if want := []step{{DeploymentRollingBack, 0.5}, {DeploymentRolledBack, 0}}; !slices.Equal(saved[len(saved)-2:], want) {
		t.Errorf("saved %v, want it to end %v", saved, want)
	}
}

func TestFailedHookRollsBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		pre, post  string // hooks
		report     string // what the failing hook reports
		err        error  // and its invocation's error
		failRoutes int
		reason     string
		wantEvents []string
	}{
		{name: "pre reports Failed", pre: "pre", report: HookFailed,
			reason:     "the PreTraffic hook pre reported Failed",
			wantEvents: []string{"hook pre", "route 1+@0"}},
		{name: "post reports Failed", post: "post", report: HookFailed,
			reason:     "the PostTraffic hook post reported Failed",
			wantEvents: []string{"route 2+@0", "hook post", "route 1+@0"}},
		{name: "post errs", post: "post", err: errors.New("Unhandled: boom"),
			reason:     "the PostTraffic hook post failed: Unhandled: boom",
			wantEvents: []string{"route 2+@0", "hook post", "route 1+@0"}},
		{name: "rollback routing fails", pre: "pre", report: HookFailed, failRoutes: -1,
			reason:     "the PreTraffic hook pre reported Failed; rolling back failed: pointing api:live at version 1: registry unavailable",
			wantEvents: []string{"hook pre"}},
		{name: "rollback routing retried", pre: "pre", report: HookFailed, failRoutes: 2,
			reason:     "the PreTraffic hook pre reported Failed",
			wantEvents: []string{"hook pre", "route 1+@0"}},
	}
	for _, tt := range tests {
		p := newPlatform()
		dep := newDeployment("AllAtOnce")
		dep.Preference.PreTraffic, dep.Preference.PostTraffic = tt.pre, tt.post
		hook := tt.pre + tt.post
		p.report[hook], p.hookErr[hook] = tt.report, tt.err
		p.failRoutes = tt.failRoutes
		runDeployment(t, p.driver(), dep)
		_, events := p.recorded()
		if dep.Status != DeploymentRolledBack || dep.Reason != tt.reason || !slices.Equal(events, tt.wantEvents) {
			t.Errorf("%s: status %s, reason %q, events %v; want RolledBack, %q, %v", tt.name, dep.Status, dep.Reason, events, tt.reason, tt.wantEvents)
		}
	}
}

func TestHookReportWinsOverOutcome(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	dep := newDeployment("AllAtOnce")
	dep.Preference.PreTraffic = "pre"
	p.report["pre"], p.hookErr["pre"] = HookSucceeded, errors.New("Runtime.ExitError")
	runDeployment(t, p.driver(), dep)
	if dep.Status != DeploymentSucceeded {
		t.Errorf("status %s (%s): a hook that reported Succeeded and then failed should pass, as on CodeDeploy", dep.Status, dep.Reason)
	}
}

func TestResumeMidShift(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	now := time.Now()
	// Saved by a node that stopped half way through a long canary whose
	// step has since elapsed.
	dep := newDeployment("Canary50Percent30Minutes")
	dep.ID, dep.Status, dep.Weight = "d-RESUMED01", DeploymentShifting, 0.5
	dep.Started, dep.NextStep = now.Add(-31*time.Minute), now.Add(-time.Minute)
	dep.Preference.PostTraffic = "post"
	saved := runDeployment(t, p.driver(), dep)

	_, events := p.recorded()
	want := []string{"route 1+2@0.5", "route 2+@0", "hook post"}
	if !slices.Equal(events, want) || dep.Status != DeploymentSucceeded || dep.ID != "d-RESUMED01" {
		t.Errorf("events %v (want %v), status %s, id %s", events, want, dep.Status, dep.ID)
	}
	if saved[0] != (step{DeploymentPostTraffic, 1}) {
		t.Errorf("saved %v, want it to start at PostTraffic", saved)
	}

	// A rollback the node did not finish is finished.
	p = newPlatform()
	dep = newDeployment("Canary50Percent30Minutes")
	dep.Status, dep.Weight, dep.Reason, dep.Started = DeploymentRollingBack, 0.5, "version 2 failed", now
	runDeployment(t, p.driver(), dep)
	if routes, _ := p.recorded(); !slices.Equal(routes, []route{{"1", "", 0}}) || dep.Status != DeploymentRolledBack || dep.Reason != "version 2 failed" {
		t.Errorf("resumed rollback: routes %v, %s %q", routes, dep.Status, dep.Reason)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	dep := newDeployment("Canary10Percent30Minutes")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last Deployment
	save := func(_ context.Context, d *Deployment) error { last = *d; return nil }
	progress := func(d *Deployment) {
		if d.Weight == 0.1 {
			cancel()
		}
	}
	if err := p.driver().Run(ctx, dep, save, progress); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if last.Status != DeploymentShifting || last.Weight != 0.1 || time.Until(last.NextStep) < 29*time.Minute {
		t.Errorf("last saved %s at %g, next step %v: want it resumable mid-shift", last.Status, last.Weight, last.NextStep)
	}
}

func TestRunRefusesBadType(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	dep := newDeployment("Canary10Percent5Hours")
	err := p.driver().Run(context.Background(), dep, func(context.Context, *Deployment) error { return nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "Canary10Percent5Hours") {
		t.Errorf("Run = %v, want the type refused", err)
	}
	if routes, _ := p.recorded(); len(routes) != 0 {
		t.Errorf("routes %v for a refused deployment", routes)
	}
}

func TestSaveErrorStopsRun(t *testing.T) {
	t.Parallel()
	p := newPlatform()
	dep := newDeployment("AllAtOnce")
	err := p.driver().Run(context.Background(), dep, func(context.Context, *Deployment) error { return errors.New("store full") }, nil)
	if err == nil || !strings.Contains(err.Error(), "store full") {
		t.Errorf("Run = %v, want the save error", err)
	}
}
