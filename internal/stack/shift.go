package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Start resumes the traffic shifts a stopped server left running.
func (e *Engine) Start(ctx context.Context) error {
	all, err := e.rec.list(ctx, "")
	if err != nil {
		return err
	}
	for _, s := range all {
		for _, d := range s.Deployments {
			if !d.Done() {
				e.shift(s.Tenant, s.Name, Caller{Scope: fn.ScopeDeploy}, d)
			}
		}
	}
	return nil
}

// shift runs one alias's traffic shift in the background, recording its
// progress in the stack's record.
func (e *Engine) shift(tenant, stackName string, caller Caller, d *Deployment) {
	key := tenant + "." + stackName + "." + d.Function
	e.mu.Lock()
	if _, ok := e.running[key]; ok {
		e.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(e.ctx)
	run := &running{cancel: cancel, done: make(chan struct{})}
	e.running[key] = run
	e.mu.Unlock()
	if d.ID == "" {
		d.ID = NewDeploymentID()
	}
	save := func(ctx context.Context, d *Deployment) error {
		return e.saveDeployment(ctx, tenant, stackName, d)
	}
	driver := NewCanaryDriver(enginePlatform{e: e, caller: caller}, e.cfg.Log, e.hooks, CanaryOptions{})
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer func() {
			e.mu.Lock()
			delete(e.running, key)
			e.mu.Unlock()
			cancel()
			close(run.done)
		}()
		err := driver.Run(ctx, d, save, func(d *Deployment) {
			e.cfg.Log.Info("traffic shift", "tenant", tenant, "stack", stackName, "fn", d.Function, "alias", d.Alias,
				"to", d.To, "status", d.Status, "weight", d.Weight)
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			e.cfg.Log.Warn("traffic shift", "tenant", tenant, "stack", stackName, "fn", d.Function, "err", err)
		}
	}()
}

// saveDeployment records a shift's progress; when it ends, the function's
// record says which version the alias serves.
func (e *Engine) saveDeployment(ctx context.Context, tenant, stackName string, d *Deployment) error {
	for attempt := 0; ; attempt++ {
		s, rev, err := e.rec.get(ctx, tenant, stackName)
		if err != nil {
			return err
		}
		s.Deployments = append(dropDeployment(s.Deployments, d.Function), d)
		if d.Done() {
			for i := range s.Resources {
				r := &s.Resources[i]
				if r.Kind == KindFunction && r.Name == d.Function {
					r.Applied.Version = d.Serving()
				}
			}
		}
		if _, err = e.rec.put(ctx, s, rev); err == nil || attempt == 5 {
			return err
		}
	}
}

// stopShifts ends the shifts of a stack being deleted on this node (its
// functions, aliases with them, are about to go).
func (e *Engine) stopShifts(tenant, stackName string) {
	e.mu.Lock()
	var stopped []*running
	for key, r := range e.running {
		if strings.HasPrefix(key, tenant+"."+stackName+".") {
			r.cancel()
			stopped = append(stopped, r)
		}
	}
	e.mu.Unlock()
	for _, r := range stopped {
		<-r.done
	}
}

// running is a shift's goroutine on this node.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// enginePlatform is the platform as the canary driver uses it.
type enginePlatform struct {
	e      *Engine
	caller Caller
}

func (p enginePlatform) RouteAlias(ctx context.Context, tenant, function, alias, primary, additional string, weight float64) error {
	return RouteAlias(ctx, p.e.lambdaClient(tenant, p.caller), function, alias, primary, additional, weight)
}

func (p enginePlatform) InvokeHook(ctx context.Context, tenant, function string, payload []byte) error {
	out, err := p.e.lambdaClient(tenant, p.caller).Invoke(ctx, &lambda.InvokeInput{FunctionName: &function, Payload: payload,
		InvocationType: ltypes.InvocationTypeRequestResponse})
	if err != nil {
		return err
	}
	if out.FunctionError != nil {
		return fmt.Errorf("%s: %s", *out.FunctionError, out.Payload)
	}
	return nil
}

func (p enginePlatform) Calls(ctx context.Context, tenant, function, version string, since time.Time) (int, int, error) {
	return p.e.cfg.Calls(ctx, tenant, function, version, since)
}

// Serving is the version the alias serves once the shift has ended.
func (d *Deployment) Serving() string {
	if d.Status == DeploymentSucceeded {
		return d.To
	}
	return d.From
}
