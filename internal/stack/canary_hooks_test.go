package stack

import (
	"errors"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestHookStatusesReport(t *testing.T) {
	h := NewHookStatuses()
	allow := func(string) error { return nil }
	e := h.expect("t1", "d-AAAAAAAAA", "arn:group", "exec-1")
	h.expect("t1", "d-AAAAAAAAA", "arn:group", "exec-2")
	h.finish("exec-2")

	var asked string
	deny := func(res string) error { asked = res; return fn.AccessDenied("no") }
	tests := []struct {
		name                     string
		tenant, dep, exec, state string
		authorize                func(string) error
		typ                      string
	}{
		{"no deployment id", "t1", "", "exec-1", HookSucceeded, allow, TypeDeploymentIDRequired},
		{"no execution id", "t1", "d-AAAAAAAAA", "", HookSucceeded, allow, TypeInvalidHookExecutionID},
		{"bad status", "t1", "d-AAAAAAAAA", "exec-1", "Skipped", allow, TypeInvalidHookExecutionStatus},
		{"unknown execution", "t1", "d-AAAAAAAAA", "exec-9", HookSucceeded, allow, TypeDeploymentDoesNotExist},
		{"another tenant's execution", "t2", "d-AAAAAAAAA", "exec-1", HookSucceeded, allow, TypeDeploymentDoesNotExist},
		{"another deployment", "t1", "d-BBBBBBBBB", "exec-1", HookSucceeded, allow, TypeDeploymentDoesNotExist},
		{"denied", "t1", "d-AAAAAAAAA", "exec-1", HookSucceeded, deny, fn.TypeAccessDenied},
		{"verdict already taken", "t1", "d-AAAAAAAAA", "exec-2", HookFailed, allow, TypeLifecycleEventAlreadyCompleted},
	}
	for _, tt := range tests {
		err := h.Report(tt.tenant, tt.dep, tt.exec, tt.state, tt.authorize)
		var fe *fn.Error
		if !errors.As(err, &fe) || fe.Type != tt.typ {
			t.Errorf("%s: Report = %v, want %s", tt.name, err, tt.typ)
		}
	}
	if asked != "arn:group" {
		t.Errorf("authorize was asked about %q, want the deployment group", asked)
	}
	if st := h.status(e); st != "" {
		t.Fatalf("refused reports recorded %q", st)
	}

	if err := h.Report("t1", "d-AAAAAAAAA", "exec-1", HookFailed, allow); err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.reported:
	default:
		t.Error("the report did not wake the driver")
	}
	if st := h.status(e); st != HookFailed {
		t.Errorf("status %q, want Failed", st)
	}
	if err := h.Report("t1", "d-AAAAAAAAA", "exec-1", HookSucceeded, allow); fn.AsError(err).Type != TypeLifecycleEventAlreadyCompleted {
		t.Errorf("second report = %v, want %s", err, TypeLifecycleEventAlreadyCompleted)
	}
}
