package codedeploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/codedeploy"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/stack"
)

// principals are the callers the test server knows, by access key id: the
// hook function of tenant t1 with the policy SAM hook examples carry,
// another t1 function without it, and a deploy key of tenant t2.
var principals = map[string]wire.Principal{
	"AKHOOK": {Tenant: "t1", Function: "hook", Scope: fn.ScopeDeploy, Permissions: fn.Permissions{{
		Actions:   []string{"codedeploy:PutLifecycleEventHookExecutionStatus"},
		Resources: []string{"arn:aws:codedeploy:" + fn.Region + ":" + fn.AccountID("t1") + ":deploymentgroup:ServerlessDeploymentApplication/*"},
	}}},
	"AKOTHER": {Tenant: "t1", Function: "other", Scope: fn.ScopeDeploy, Permissions: fn.Permissions{{
		Actions: []string{"s3:*"}, Resources: []string{"*"},
	}}},
	"AKT2": {Tenant: "t2", Scope: fn.ScopeDeploy},
}

// server serves the API as the gateway dispatches it: a request signed
// for "codedeploy" with its X-Amz-Target, authenticated by access key id
// (the gateway checks the signature itself; that is its own test).
func server(t *testing.T, api *codedeploy.API) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		_, cred, _ := strings.Cut(authz, "Credential=")
		scope := strings.Split(strings.SplitN(cred, ",", 2)[0], "/")
		if len(scope) != 5 || scope[3] != "codedeploy" || !strings.HasPrefix(r.Header.Get("X-Amz-Target"), codedeploy.TargetPrefix+".") {
			http.Error(w, fmt.Sprintf("not a codedeploy request: %q, target %q", authz, r.Header.Get("X-Amz-Target")), http.StatusBadRequest)
			return
		}
		p, ok := principals[scope[0]]
		if !ok {
			http.Error(w, "unknown key", http.StatusForbidden)
			return
		}
		api.Serve(w, r.WithContext(wire.WithPrincipal(r.Context(), p)), p.Tenant)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func client(url, key string) *sdk.Client {
	return sdk.NewFromConfig(aws.Config{
		Region: fn.Region, BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(key, "secret", ""),
	}, func(o *sdk.Options) { o.RetryMaxAttempts = 1 })
}

// hookPlatform runs hooks as functions calling CodeDeploy through the SDK.
type hookPlatform struct {
	url string

	mu      sync.Mutex
	verdict map[string]types.LifecycleEventStatus // hook → what it reports
	key     map[string]string                     // hook → its credentials
	errs    []error                               // what the reports got back
	routes  []string
}

func (p *hookPlatform) RouteAlias(_ context.Context, _, _, _, primary, additional string, weight float64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.routes = append(p.routes, fmt.Sprintf("%s+%s@%g", primary, additional, weight))
	return nil
}

func (p *hookPlatform) InvokeHook(ctx context.Context, _, function string, payload []byte) error {
	var ev struct{ DeploymentId, LifecycleEventHookExecutionId string }
	if err := json.Unmarshal(payload, &ev); err != nil {
		return err
	}
	p.mu.Lock()
	status, key := p.verdict[function], p.key[function]
	p.mu.Unlock()
	_, err := client(p.url, key).PutLifecycleEventHookExecutionStatus(ctx, &sdk.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId: aws.String(ev.DeploymentId), LifecycleEventHookExecutionId: aws.String(ev.LifecycleEventHookExecutionId), Status: status,
	})
	p.mu.Lock()
	p.errs = append(p.errs, err)
	p.mu.Unlock()
	return nil // the hook itself succeeds: only its report can fail the deployment
}

func (p *hookPlatform) Calls(context.Context, string, string, string, time.Time) (int, int, error) {
	return 0, 0, nil
}

// TestHookReportsThroughTheSDK runs deployments whose hooks report with
// aws-sdk-go-v2's CodeDeploy client, as a SAM hook function does.
func TestHookReportsThroughTheSDK(t *testing.T) {
	hooks := stack.NewHookStatuses()
	srv := server(t, codedeploy.New(hooks, slog.New(slog.DiscardHandler)))
	tests := []struct {
		name    string
		key     string
		verdict types.LifecycleEventStatus
		status  string // the deployment's end
		reason  string
		refused any // the report's error type, nil: accepted
	}{
		{"reports Succeeded", "AKHOOK", types.LifecycleEventStatusSucceeded, stack.DeploymentSucceeded, "", nil},
		{"reports Failed", "AKHOOK", types.LifecycleEventStatusFailed, stack.DeploymentRolledBack, "the PreTraffic hook hook reported Failed", nil},
		// Refused reports leave the verdict to the invocation (a success).
		{"another tenant", "AKT2", types.LifecycleEventStatusFailed, stack.DeploymentSucceeded, "", &types.DeploymentDoesNotExistException{}},
		{"not permitted", "AKOTHER", types.LifecycleEventStatusFailed, stack.DeploymentSucceeded, "", "AccessDeniedException"},
		{"bad status", "AKHOOK", types.LifecycleEventStatusSkipped, stack.DeploymentSucceeded, "", &types.InvalidLifecycleEventHookExecutionStatusException{}},
	}
	for _, tt := range tests {
		p := &hookPlatform{url: srv.URL, verdict: map[string]types.LifecycleEventStatus{"hook": tt.verdict}, key: map[string]string{"hook": tt.key}}
		d := stack.NewCanaryDriver(p, slog.New(slog.DiscardHandler), hooks, stack.CanaryOptions{HookGrace: 10 * time.Millisecond})
		dep := &stack.Deployment{Tenant: "t1", Function: "api", Alias: "live", From: "1", To: "2",
			Preference: stack.DeploymentPreference{Type: "AllAtOnce", Enabled: true, PreTraffic: "hook"}}
		if err := d.Run(context.Background(), dep, func(context.Context, *stack.Deployment) error { return nil }, nil); err != nil {
			t.Fatalf("%s: Run: %v", tt.name, err)
		}
		if dep.Status != tt.status || dep.Reason != tt.reason {
			t.Errorf("%s: deployment %s %q, want %s %q", tt.name, dep.Status, dep.Reason, tt.status, tt.reason)
		}
		if len(p.errs) != 1 {
			t.Fatalf("%s: %d reports", tt.name, len(p.errs))
		}
		err := p.errs[0]
		switch want := tt.refused.(type) {
		case nil:
			if err != nil {
				t.Errorf("%s: report: %v", tt.name, err)
			}
		case string:
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != want {
				t.Errorf("%s: report = %v, want %s", tt.name, err, want)
			}
		case *types.DeploymentDoesNotExistException:
			if !errors.As(err, &want) {
				t.Errorf("%s: report = %v, want %T", tt.name, err, want)
			}
		case *types.InvalidLifecycleEventHookExecutionStatusException:
			if !errors.As(err, &want) {
				t.Errorf("%s: report = %v, want %T", tt.name, err, want)
			}
		}
	}
}

// TestLateReport: a report for an execution whose verdict was taken is
// LifecycleEventAlreadyCompletedException; an unknown one
// DeploymentDoesNotExistException; a successful report echoes its id.
func TestLateReport(t *testing.T) {
	hooks := stack.NewHookStatuses()
	srv := server(t, codedeploy.New(hooks, slog.New(slog.DiscardHandler)))
	var seen struct{ DeploymentId, LifecycleEventHookExecutionId string }
	p := &recordingPlatform{payload: func(b []byte) { _ = json.Unmarshal(b, &seen) }}
	d := stack.NewCanaryDriver(p, slog.New(slog.DiscardHandler), hooks, stack.CanaryOptions{HookGrace: time.Millisecond})
	dep := &stack.Deployment{Tenant: "t1", Function: "api", Alias: "live", From: "1", To: "2",
		Preference: stack.DeploymentPreference{Type: "AllAtOnce", Enabled: true, PreTraffic: "hook"}}
	if err := d.Run(context.Background(), dep, func(context.Context, *stack.Deployment) error { return nil }, nil); err != nil {
		t.Fatal(err)
	}
	c := client(srv.URL, "AKHOOK")
	_, err := c.PutLifecycleEventHookExecutionStatus(context.Background(), &sdk.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId: aws.String(seen.DeploymentId), LifecycleEventHookExecutionId: aws.String(seen.LifecycleEventHookExecutionId), Status: types.LifecycleEventStatusFailed,
	})
	var done *types.LifecycleEventAlreadyCompletedException
	if !errors.As(err, &done) {
		t.Errorf("late report = %v, want LifecycleEventAlreadyCompletedException", err)
	}
	_, err = c.PutLifecycleEventHookExecutionStatus(context.Background(), &sdk.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId: aws.String("d-NOSUCHONE"), LifecycleEventHookExecutionId: aws.String("x"), Status: types.LifecycleEventStatusFailed,
	})
	var none *types.DeploymentDoesNotExistException
	if !errors.As(err, &none) {
		t.Errorf("unknown report = %v, want DeploymentDoesNotExistException", err)
	}
}

// TestRawRequests covers what an SDK does not send: other operations and
// bodies that are not JSON.
func TestRawRequests(t *testing.T) {
	srv := server(t, codedeploy.New(stack.NewHookStatuses(), slog.New(slog.DiscardHandler)))
	tests := []struct{ target, body, typ string }{
		{codedeploy.TargetPrefix + ".CreateDeployment", `{}`, "UnknownOperationException"},
		{codedeploy.TargetPrefix + ".PutLifecycleEventHookExecutionStatus", `not json`, "SerializationException"},
		{codedeploy.TargetPrefix + ".PutLifecycleEventHookExecutionStatus", `{}`, "DeploymentIdRequiredException"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewBufferString(tt.body))
		req.Header.Set("X-Amz-Target", tt.target)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKHOOK/20260101/local/codedeploy/aws4_request, SignedHeaders=host, Signature=x")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(b, &out); err != nil || res.StatusCode != 400 || out.Type != tt.typ || out.Message == "" ||
			res.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
			t.Errorf("%s %s: %d %s, want 400 %s", tt.target, tt.body, res.StatusCode, b, tt.typ)
		}
	}
}

// recordingPlatform's hook reports nothing and succeeds.
type recordingPlatform struct{ payload func([]byte) }

func (p *recordingPlatform) RouteAlias(context.Context, string, string, string, string, string, float64) error {
	return nil
}

func (p *recordingPlatform) InvokeHook(_ context.Context, _, _ string, payload []byte) error {
	p.payload(payload)
	return nil
}

func (p *recordingPlatform) Calls(context.Context, string, string, string, time.Time) (int, int, error) {
	return 0, 0, nil
}
