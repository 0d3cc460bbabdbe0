package codedeploy

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/stack"
)

// TargetPrefix is the X-Amz-Target prefix of CodeDeploy's operations.
const TargetPrefix = "CodeDeploy_20141006"

// opPutStatus is the one operation served.
const opPutStatus = "PutLifecycleEventHookExecutionStatus"

// maxBody bounds a request: three short strings.
const maxBody = 64 << 10

// API serves CodeDeploy's hook status operation over a stack.HookStatuses.
type API struct {
	hooks *stack.HookStatuses
	log   *slog.Logger
}

// New returns the adapter recording into hooks, the registry the canary
// driver was given.
func New(hooks *stack.HookStatuses, log *slog.Logger) *API {
	if log == nil {
		log = slog.Default()
	}
	return &API{hooks: hooks, log: log.With("component", "codedeploy")}
}

// putStatusInput is PutLifecycleEventHookExecutionStatus's input.
type putStatusInput struct {
	DeploymentID                  string `json:"deploymentId"`
	LifecycleEventHookExecutionID string `json:"lifecycleEventHookExecutionId"`
	Status                        string `json:"status"`
}

// Serve is the gateway's handler for CodeDeploy requests (wire.TenantHandler).
func (a *API) Serve(w http.ResponseWriter, r *http.Request, tenant string) {
	if wire.RequestID(w) == "" {
		wire.SetRequestID(w)
	}
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix+".")
	if op != opPutStatus {
		a.fail(w, fn.Errorf(http.StatusBadRequest, fn.TypeUnknownOperation,
			"the operation %q is not served: Updraft's CodeDeploy serves only %s, which traffic hooks call", op, opPutStatus))
		return
	}
	body, err := wire.ReadLimited(http.MaxBytesReader(w, r.Body, maxBody), nil, maxBody)
	if err != nil {
		a.fail(w, fn.Errorf(http.StatusBadRequest, "SerializationException", "the request is larger than %d bytes or could not be read: %v", maxBody, err))
		return
	}
	var in putStatusInput
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			a.fail(w, fn.Errorf(http.StatusBadRequest, "SerializationException", "the request body is not %s's JSON input: %v", opPutStatus, err))
			return
		}
	}
	authorize := func(resource string) error { return wire.Authorize(r, "codedeploy:"+opPutStatus, resource) }
	if err := a.hooks.Report(tenant, in.DeploymentID, in.LifecycleEventHookExecutionID, in.Status, authorize); err != nil {
		a.fail(w, err)
		return
	}
	a.log.Info("hook reported", "tenant", tenant, "deployment", in.DeploymentID,
		"execution", in.LifecycleEventHookExecutionID, "status", in.Status, "request_id", wire.RequestID(w))
	a.write(w, http.StatusOK, map[string]string{"lifecycleEventHookExecutionId": in.LifecycleEventHookExecutionID})
}

// fail replies with err as the JSON 1.1 protocol does: __type and message.
func (a *API) fail(w http.ResponseWriter, err error) {
	e := fn.AsError(err)
	if e.Status >= 500 {
		a.log.Error("codedeploy request failed", "type", e.Type, "err", err, "request_id", wire.RequestID(w))
	}
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	a.write(w, e.Status, map[string]string{"__type": e.Type, "message": e.Message})
}

func (a *API) write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client went away: nothing to do
}
