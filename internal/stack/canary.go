package stack

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// CanaryPlatform is what the canary driver needs of the platform.
type CanaryPlatform interface {
	// RouteAlias points alias at primary, sending weight (0..1) of calls
	// to additional ("" / 0: primary only).
	RouteAlias(ctx context.Context, tenant, function, alias, primary, additional string, weight float64) error
	// InvokeHook invokes a hook function synchronously with payload; a
	// function error is returned as an error.
	InvokeHook(ctx context.Context, tenant, function string, payload []byte) error
	// Calls counts version's finished invocations since t and how many of
	// them failed: the meter's fn.Usage records of the version, where
	// Outcome fn.OutcomeError, OutcomeTimeout and OutcomeCrash are
	// failures and meter.OutcomeProvisioned records are not calls.
	Calls(ctx context.Context, tenant, function, version string, since time.Time) (calls, errors int, err error)
}

// Statuses of a Deployment, in the order it goes through them.
const (
	DeploymentPreTraffic  = "PreTraffic"  // the pre-traffic hook runs; the alias still serves From
	DeploymentShifting    = "Shifting"    // Weight of calls go to To, more each step
	DeploymentPostTraffic = "PostTraffic" // all calls go to To; the post-traffic hook runs
	DeploymentSucceeded   = "Succeeded"   // done: the alias serves To
	DeploymentRollingBack = "RollingBack" // Reason says why; the alias is being pointed back at From
	DeploymentRolledBack  = "RolledBack"  // done: the alias serves From again, Reason says why
)

// Deployment is one move of an alias from version From to version To
// (AutoPublishAlias with a DeploymentPreference). It is JSON-serialisable
// so the stack's record can hold it: Run given a saved Deployment goes on
// from its Status, Weight and NextStep.
type Deployment struct {
	ID         string               `json:"id"` // d-XXXXXXXXX, as CodeDeploy's
	Tenant     string               `json:"tenant"`
	Function   string               `json:"function"`
	Alias      string               `json:"alias"`
	From       string               `json:"from"` // the version the alias served ("": none, the first deploy)
	To         string               `json:"to"`
	Preference DeploymentPreference `json:"preference"`
	// Application is the CodeDeploy application the hooks' policies name
	// (arn:aws:codedeploy:REGION:ACCOUNT:deploymentgroup:APPLICATION/*);
	// "" is ServerlessDeploymentApplication. See GroupARN.
	Application string    `json:"application,omitempty"`
	Status      string    `json:"status"`
	Weight      float64   `json:"weight"` // the share of calls To gets now
	Reason      string    `json:"reason,omitempty"`
	Started     time.Time `json:"started"`
	Updated     time.Time `json:"updated"`
	NextStep    time.Time `json:"next_step,omitzero"` // when Shifting moves to its next weight
}

// Done reports whether the deployment reached a final status.
func (d *Deployment) Done() bool {
	return d.Status == DeploymentSucceeded || d.Status == DeploymentRolledBack
}

// DefaultApplication is the CodeDeploy application of a deployment that
// names none: SAM's implicit ServerlessDeploymentApplication.
const DefaultApplication = "ServerlessDeploymentApplication"

// GroupARN is the deployment group the deployment belongs to, the
// resource a hook's codedeploy:PutLifecycleEventHookExecutionStatus is
// authorized on: APPLICATION/FUNCTION.
func (d *Deployment) GroupARN() string {
	app := d.Application
	if app == "" {
		app = DefaultApplication
	}
	return "arn:aws:codedeploy:" + fn.Region + ":" + fn.AccountID(d.Tenant) + ":deploymentgroup:" + app + "/" + d.Function
}

// NewDeploymentID returns an id in CodeDeploy's form, d- and nine
// characters of [A-Z0-9].
func NewDeploymentID() string { return "d-" + randomID(9) }

func randomID(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

// CanaryOptions tune a CanaryDriver; zero values take the defaults.
type CanaryOptions struct {
	// HookGrace is how long after a hook's invocation returned without
	// reporting a status the driver still waits for one (default 5s).
	HookGrace time.Duration
	// RouteRetries is how many times a failed RouteAlias is tried again
	// before the driver gives up (default 4).
	RouteRetries int
	// RetryDelay is the pause before the first retry, doubled after each
	// (default 250ms).
	RetryDelay time.Duration
}

// CanaryDriver moves aliases to new versions on their deployment
// schedules: hooks, weighted steps, the error-rate guard and rollback.
type CanaryDriver struct {
	p     CanaryPlatform
	log   *slog.Logger
	hooks *HookStatuses
	opt   CanaryOptions
}

// NewCanaryDriver returns a driver over p. hooks is where the CodeDeploy
// API records what hook functions report (nil: a registry of its own, so
// only the hooks' invocation outcomes count).
func NewCanaryDriver(p CanaryPlatform, log *slog.Logger, hooks *HookStatuses, opt CanaryOptions) *CanaryDriver {
	if log == nil {
		log = slog.Default()
	}
	if hooks == nil {
		hooks = NewHookStatuses()
	}
	if opt.HookGrace <= 0 {
		opt.HookGrace = 5 * time.Second
	}
	if opt.RouteRetries <= 0 {
		opt.RouteRetries = 4
	}
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = 250 * time.Millisecond
	}
	return &CanaryDriver{p: p, log: log.With("component", "canary"), hooks: hooks, opt: opt}
}

// run is one Run: the deployment with its schedule and callbacks.
type run struct {
	d        *CanaryDriver
	dep      *Deployment
	sched    DeploymentSchedule
	save     func(context.Context, *Deployment) error
	progress func(*Deployment)
	log      *slog.Logger
}

// Run moves dep's alias from From to To and blocks until the deployment
// Succeeded or RolledBack (then it returns nil: dep.Status and dep.Reason
// say which and why). At each change it calls save (an error stops Run and
// is returned) and then progress (nil: none). A Deployment saved by an
// earlier Run that did not finish (the node restarted) goes on from where
// it stood: a hook that was running runs again with a new execution id.
// A deployment with no From (the alias is new) or From equal to To only
// points the alias at To: there is no traffic to shift, so no hooks run.
// Run returns ctx's error when ctx ends first, dep as last saved.
func (d *CanaryDriver) Run(ctx context.Context, dep *Deployment, save func(context.Context, *Deployment) error, progress func(*Deployment)) error {
	pref := dep.Preference
	sched := DeploymentSchedule{Kind: ShiftAllAtOnce}
	if pref.Enabled {
		s, err := ParseDeploymentType(pref.Type)
		if err != nil {
			return fmt.Errorf("deployment %s of %s:%s: %w", dep.ID, dep.Function, dep.Alias, err)
		}
		sched = s
	}
	if progress == nil {
		progress = func(*Deployment) {}
	}
	if dep.ID == "" {
		dep.ID = NewDeploymentID()
	}
	r := &run{d: d, dep: dep, sched: sched, save: save, progress: progress,
		log: d.log.With("tenant", dep.Tenant, "fn", dep.Function, "alias", dep.Alias, "deployment", dep.ID)}
	if dep.Status == "" {
		dep.Started = time.Now()
		if dep.From == "" || dep.From == dep.To {
			// Nothing to shift from: the alias is new or already there.
			if err := r.route(ctx, dep.To, "", 0); err != nil {
				return fmt.Errorf("deployment %s: pointing %s:%s at version %s: %w", dep.ID, dep.Function, dep.Alias, dep.To, err)
			}
			dep.Weight = 1
			return r.set(ctx, DeploymentSucceeded)
		}
		if err := r.set(ctx, DeploymentPreTraffic); err != nil {
			return err
		}
	}
	r.log.Info("deployment", "status", dep.Status, "from", dep.From, "to", dep.To, "schedule", sched.String())
	for !dep.Done() {
		var err error
		switch dep.Status {
		case DeploymentPreTraffic:
			err = r.preTraffic(ctx)
		case DeploymentShifting:
			err = r.shift(ctx)
		case DeploymentPostTraffic:
			err = r.postTraffic(ctx)
		case DeploymentRollingBack:
			err = r.rollBack(ctx)
		default:
			return fmt.Errorf("deployment %s has status %q, which is none of the driver's", dep.ID, dep.Status)
		}
		if err != nil {
			return err
		}
	}
	r.log.Info("deployment done", "status", dep.Status, "reason", dep.Reason)
	return nil
}

// set moves the deployment to status, saves it and reports progress.
func (r *run) set(ctx context.Context, status string) error {
	r.dep.Status = status
	r.dep.Updated = time.Now()
	if err := r.save(ctx, r.dep); err != nil {
		return fmt.Errorf("saving deployment %s (%s): %w", r.dep.ID, status, err)
	}
	r.progress(r.dep)
	return nil
}

// fail starts the rollback, saying why.
func (r *run) fail(ctx context.Context, reason string) error {
	r.log.Warn("rolling back", "reason", reason)
	r.dep.Reason = reason
	return r.set(ctx, DeploymentRollingBack)
}

func (r *run) preTraffic(ctx context.Context) error {
	if h := r.dep.Preference.PreTraffic; h != "" {
		if err := r.hook(ctx, "PreTraffic", h, false); err != nil {
			return r.afterHook(ctx, err)
		}
	}
	r.dep.Weight = 0
	r.dep.NextStep = time.Now()
	return r.set(ctx, DeploymentShifting)
}

func (r *run) postTraffic(ctx context.Context) error {
	if h := r.dep.Preference.PostTraffic; h != "" {
		if err := r.hook(ctx, "PostTraffic", h, true); err != nil {
			return r.afterHook(ctx, err)
		}
	}
	if reason, err := r.guard(ctx); err != nil || reason != "" {
		return r.failed(ctx, reason, err)
	}
	return r.set(ctx, DeploymentSucceeded)
}

// afterHook turns a hook's failure into a rollback; ctx's end stops Run.
func (r *run) afterHook(ctx context.Context, err error) error {
	var hf *hookFailure
	if errors.As(err, &hf) {
		return r.fail(ctx, hf.reason)
	}
	return err
}

// failed rolls back for reason, or returns err (ctx ended) when set.
func (r *run) failed(ctx context.Context, reason string, err error) error {
	if err != nil {
		return err
	}
	return r.fail(ctx, reason)
}

// pollEvery is how often the error-rate guard looks at the new version's
// calls: every second, or a fifth of a step when that is shorter, but no
// more than five times a second.
func pollEvery(step time.Duration) time.Duration {
	p := time.Second
	if step > 0 && step/5 < p {
		p = step / 5
	}
	return max(p, 200*time.Millisecond)
}

// guard checks the new version's error rate since the deployment
// started: a reason to roll back, or "" when it is within the guard. A
// failure to count is logged and passes (the next poll tries again).
func (r *run) guard(ctx context.Context) (string, error) {
	dep := r.dep
	calls, errs, err := r.d.p.Calls(ctx, dep.Tenant, dep.Function, dep.To, dep.Started)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		r.log.Warn("counting the new version's calls", "err", err)
		return "", nil
	}
	limit := dep.Preference.MaxErrorRate
	if limit <= 0 {
		limit = DefaultMaxErrorRate
	}
	if calls > 0 && float64(errs)/float64(calls) > limit {
		return fmt.Sprintf("version %s failed %d of %d calls (%.0f%%), above the %s%% guard",
			dep.To, errs, calls, 100*float64(errs)/float64(calls), formatPercent(limit)), nil
	}
	return "", nil
}

func formatPercent(rate float64) string {
	return fmt.Sprintf("%g", float64(int64(rate*10000+0.5))/100)
}
