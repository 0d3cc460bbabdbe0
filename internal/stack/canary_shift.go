package stack

import (
	"context"
	"fmt"
	"time"
)

// shift moves the alias's weights step by step, checking the new
// version's error rate between steps, until all calls go to To
// (PostTraffic) or the guard rolls back (RollingBack).
func (r *run) shift(ctx context.Context) error {
	dep := r.dep
	if dep.Weight > 0 {
		// Going on after a restart: make sure the alias is where the
		// record says (RouteAlias is idempotent).
		if err := r.route(ctx, dep.From, dep.To, dep.Weight); err != nil {
			return r.routeFailed(ctx, err)
		}
	}
	steps := r.sched.Steps()
	poll := time.NewTicker(pollEvery(r.sched.Interval))
	defer poll.Stop()
	for {
		if !time.Now().Before(dep.NextStep) {
			next := 1.0
			for _, w := range steps {
				if w > dep.Weight+1e-9 {
					next = w
					break
				}
			}
			if next >= 1 {
				if err := r.route(ctx, dep.To, "", 0); err != nil {
					return r.routeFailed(ctx, err)
				}
				dep.Weight, dep.NextStep = 1, time.Time{}
				return r.set(ctx, DeploymentPostTraffic)
			}
			if err := r.route(ctx, dep.From, dep.To, next); err != nil {
				return r.routeFailed(ctx, err)
			}
			dep.Weight, dep.NextStep = next, time.Now().Add(r.sched.Interval)
			r.log.Info("shifted", "weight", next, "next_step", dep.NextStep)
			if err := r.set(ctx, DeploymentShifting); err != nil {
				return err
			}
		}
		step := time.NewTimer(time.Until(dep.NextStep))
		select {
		case <-ctx.Done():
			step.Stop()
			return ctx.Err()
		case <-step.C:
		case <-poll.C:
			step.Stop()
			reason, err := r.guard(ctx)
			if err != nil || reason != "" {
				return r.failed(ctx, reason, err)
			}
		}
	}
}

// routeFailed rolls back after RouteAlias kept failing during the shift.
func (r *run) routeFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return r.fail(ctx, err.Error())
}

// rollBack points the alias at From alone. When the platform keeps
// refusing, the deployment still ends RolledBack, its Reason saying the
// alias could not be moved back.
func (r *run) rollBack(ctx context.Context) error {
	dep := r.dep
	if err := r.route(ctx, dep.From, "", 0); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.log.Error("rolling back failed", "err", err)
		dep.Reason += "; rolling back failed: " + err.Error()
	} else {
		dep.Weight = 0
	}
	dep.NextStep = time.Time{}
	return r.set(ctx, DeploymentRolledBack)
}

// route calls RouteAlias, trying again a few times when it fails.
func (r *run) route(ctx context.Context, primary, additional string, weight float64) error {
	dep := r.dep
	delay := r.d.opt.RetryDelay
	for attempt := 0; ; attempt++ {
		err := r.d.p.RouteAlias(ctx, dep.Tenant, dep.Function, dep.Alias, primary, additional, weight)
		if err == nil {
			return nil
		}
		if attempt >= r.d.opt.RouteRetries || ctx.Err() != nil {
			return fmt.Errorf("pointing %s:%s at %s: %w", dep.Function, dep.Alias, describeRoute(primary, additional, weight), err)
		}
		r.log.Warn("routing the alias failed; trying again", "attempt", attempt+1, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay *= 2
	}
}

func describeRoute(primary, additional string, weight float64) string {
	if additional == "" || weight == 0 {
		return "version " + primary
	}
	return fmt.Sprintf("version %s with %s%% of calls to version %s", primary, formatPercent(weight), additional)
}
