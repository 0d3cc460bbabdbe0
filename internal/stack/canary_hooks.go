package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Hook statuses a hook function reports (CodeDeploy's LifecycleEventStatus
// values a PutLifecycleEventHookExecutionStatus call may pass).
const (
	HookSucceeded = "Succeeded"
	HookFailed    = "Failed"
)

// CodeDeploy's error types for PutLifecycleEventHookExecutionStatus.
const (
	TypeDeploymentDoesNotExist         = "DeploymentDoesNotExistException"
	TypeDeploymentIDRequired           = "DeploymentIdRequiredException"
	TypeInvalidHookExecutionID         = "InvalidLifecycleEventHookExecutionIdException"
	TypeInvalidHookExecutionStatus     = "InvalidLifecycleEventHookExecutionStatusException"
	TypeLifecycleEventAlreadyCompleted = "LifecycleEventAlreadyCompletedException"
)

// keepCompleted is how long a finished hook execution is remembered, so a
// late report is told it came too late rather than that it is unknown.
const keepCompleted = 10 * time.Minute

// HookStatuses records what hook functions report through CodeDeploy's
// PutLifecycleEventHookExecutionStatus while the canary driver waits on
// them, keyed by lifecycle event hook execution id. It lives in memory on
// the node running the deployment: a hook's report must reach that node's
// endpoint (a hook that does not report is judged by its invocation's
// outcome, so reporting is optional).
type HookStatuses struct {
	mu sync.Mutex
	m  map[string]*hookExec
}

type hookExec struct {
	tenant, deployment, resource string
	status                       string // "" until reported
	reported                     chan struct{}
	finished                     time.Time // zero while the driver waits
}

// NewHookStatuses returns an empty registry.
func NewHookStatuses() *HookStatuses { return &HookStatuses{m: map[string]*hookExec{}} }

// expect registers a hook execution the driver is about to start.
func (h *HookStatuses) expect(tenant, deployment, resource, execID string) *hookExec {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, e := range h.m {
		if !e.finished.IsZero() && time.Since(e.finished) > keepCompleted {
			delete(h.m, id)
		}
	}
	e := &hookExec{tenant: tenant, deployment: deployment, resource: resource, reported: make(chan struct{})}
	h.m[execID] = e
	return e
}

// finish marks an execution's verdict as taken: later reports are refused.
func (h *HookStatuses) finish(execID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.m[execID]; ok {
		e.finished = time.Now()
	}
}

// status is what the hook reported ("" for nothing yet).
func (h *HookStatuses) status(e *hookExec) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return e.status
}

// Report records status (Succeeded or Failed) for tenant's hook
// execution execID of deployment deploymentID. authorize is asked about
// the deployment group's ARN (Deployment.GroupARN) before anything is
// recorded. An execution that is not running, or is another tenant's,
// is DeploymentDoesNotExistException; a second report, or one after the
// driver took its verdict, is LifecycleEventAlreadyCompletedException.
func (h *HookStatuses) Report(tenant, deploymentID, execID, status string, authorize func(resource string) error) error {
	switch {
	case deploymentID == "":
		return fn.Errorf(http.StatusBadRequest, TypeDeploymentIDRequired, "deploymentId is required: pass the DeploymentId the hook was invoked with")
	case execID == "":
		return fn.Errorf(http.StatusBadRequest, TypeInvalidHookExecutionID, "lifecycleEventHookExecutionId is required: pass the LifecycleEventHookExecutionId the hook was invoked with")
	case status != HookSucceeded && status != HookFailed:
		return fn.Errorf(http.StatusBadRequest, TypeInvalidHookExecutionStatus, "status %q is not one a hook can report: use %s or %s", status, HookSucceeded, HookFailed)
	}
	h.mu.Lock()
	e, ok := h.m[execID]
	h.mu.Unlock()
	if !ok || e.tenant != tenant || e.deployment != deploymentID {
		return fn.Errorf(http.StatusBadRequest, TypeDeploymentDoesNotExist,
			"deployment %s has no lifecycle event hook execution %s running on this node", deploymentID, execID)
	}
	if err := authorize(e.resource); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if e.status != "" || !e.finished.IsZero() {
		return fn.Errorf(http.StatusBadRequest, TypeLifecycleEventAlreadyCompleted,
			"lifecycle event hook execution %s of deployment %s is already complete", execID, deploymentID)
	}
	e.status = status
	close(e.reported)
	return nil
}

// hookFailure is a hook's Failed verdict: the rollback's reason.
type hookFailure struct{ reason string }

func (e *hookFailure) Error() string { return e.reason }

// newExecID returns a lifecycle event hook execution id (a random UUID).
func newExecID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// hook runs hook function name for lifecycle event (PreTraffic or
// PostTraffic), as CodeDeploy does: invoked synchronously with
// {"DeploymentId", "LifecycleEventHookExecutionId"}. Its verdict is the
// status it reported by the time its invocation returned (or within
// HookGrace after), else the invocation's outcome. A Failed verdict is a
// *hookFailure; with guard set the error-rate guard is polled meanwhile
// and its trip is one too. Other errors are ctx's.
func (r *run) hook(ctx context.Context, event, name string, guard bool) error {
	dep := r.dep
	execID := newExecID()
	e := r.d.hooks.expect(dep.Tenant, dep.ID, dep.GroupARN(), execID)
	defer r.d.hooks.finish(execID)
	payload, err := json.Marshal(map[string]string{"DeploymentId": dep.ID, "LifecycleEventHookExecutionId": execID})
	if err != nil {
		return fmt.Errorf("encoding the %s hook's event: %w", event, err)
	}
	log := r.log.With("hook", event, "hook_fn", name, "execution", execID)
	log.Info("running hook")

	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- r.d.p.InvokeHook(hctx, dep.Tenant, name, payload) }()
	var tick <-chan time.Time
	if guard {
		t := time.NewTicker(pollEvery(r.sched.Interval))
		defer t.Stop()
		tick = t.C
	}
	var invokeErr error
wait:
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-res
			return ctx.Err()
		case invokeErr = <-res:
			break wait
		case <-tick:
			reason, err := r.guard(ctx)
			if err != nil || reason != "" {
				cancel()
				<-res
				if err != nil {
					return err
				}
				return &hookFailure{reason}
			}
		}
	}
	st := r.d.hooks.status(e)
	if st == "" && invokeErr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if st == "" && invokeErr == nil {
		grace := time.NewTimer(r.d.opt.HookGrace)
		select {
		case <-ctx.Done():
			grace.Stop()
			return ctx.Err()
		case <-e.reported:
			grace.Stop()
			st = r.d.hooks.status(e)
		case <-grace.C:
			st = HookSucceeded
		}
	}
	switch {
	case st == HookSucceeded:
		log.Info("hook succeeded")
		return nil
	case st == HookFailed:
		return &hookFailure{fmt.Sprintf("the %s hook %s reported Failed", event, name)}
	}
	return &hookFailure{fmt.Sprintf("the %s hook %s failed: %v", event, name, invokeErr)}
}
