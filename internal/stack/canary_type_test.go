package stack

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestParseDeploymentType(t *testing.T) {
	tests := []struct {
		in   string
		want DeploymentSchedule
	}{
		{"AllAtOnce", DeploymentSchedule{Kind: ShiftAllAtOnce}},
		{"CodeDeployDefault.LambdaAllAtOnce", DeploymentSchedule{Kind: ShiftAllAtOnce}},
		// CodeDeploy's predefined Lambda configurations.
		{"Canary10Percent5Minutes", DeploymentSchedule{ShiftCanary, 10, 5 * time.Minute}},
		{"Canary10Percent10Minutes", DeploymentSchedule{ShiftCanary, 10, 10 * time.Minute}},
		{"Canary10Percent15Minutes", DeploymentSchedule{ShiftCanary, 10, 15 * time.Minute}},
		{"Canary10Percent30Minutes", DeploymentSchedule{ShiftCanary, 10, 30 * time.Minute}},
		{"Linear10PercentEvery1Minute", DeploymentSchedule{ShiftLinear, 10, time.Minute}},
		{"Linear10PercentEvery2Minutes", DeploymentSchedule{ShiftLinear, 10, 2 * time.Minute}},
		{"Linear10PercentEvery3Minutes", DeploymentSchedule{ShiftLinear, 10, 3 * time.Minute}},
		{"Linear10PercentEvery10Minutes", DeploymentSchedule{ShiftLinear, 10, 10 * time.Minute}},
		{"CodeDeployDefault.LambdaCanary10Percent5Minutes", DeploymentSchedule{ShiftCanary, 10, 5 * time.Minute}},
		// The general pattern.
		{"Canary25Percent45Minutes", DeploymentSchedule{ShiftCanary, 25, 45 * time.Minute}},
		{"Linear33PercentEvery1Minutes", DeploymentSchedule{ShiftLinear, 33, time.Minute}},
		{"Canary1Percent1Minute", DeploymentSchedule{ShiftCanary, 1, time.Minute}},
		{"Linear99PercentEvery1440Minutes", DeploymentSchedule{ShiftLinear, 99, 24 * time.Hour}},
		// Seconds, Updraft's extension.
		{"Canary50Percent2Seconds", DeploymentSchedule{ShiftCanary, 50, 2 * time.Second}},
		{"Linear25PercentEvery1Second", DeploymentSchedule{ShiftLinear, 25, time.Second}},
		{"Linear20PercentEvery30Seconds", DeploymentSchedule{ShiftLinear, 20, 30 * time.Second}},
	}
	for _, tt := range tests {
		got, err := ParseDeploymentType(tt.in)
		if err != nil {
			t.Errorf("ParseDeploymentType(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDeploymentType(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseDeploymentTypeRefusals(t *testing.T) {
	tests := []struct{ in, says string }{
		{"", "use AllAtOnce, CanaryNPercentMMinutes"},
		{"allatonce", "use AllAtOnce"},
		{"Canary10Percent5Hours", "CanaryNPercentMMinutes"},
		{"Canary0Percent5Minutes", "the percentage must be 1 to 99"},
		{"Canary100Percent5Minutes", "the percentage must be 1 to 99"},
		{"Linear10PercentEvery0Minutes", "the interval must be 1 to 1440"},
		{"Canary10Percent99999999999999999999Minutes", "the percentage must be 1 to 99"},
		{"Linear10Percent1Minute", "LinearNPercentEveryMMinutes"},
		{"Canary10PercentEvery5Minutes", "Seconds in place of Minutes"},
		{"CodeDeployDefault.OneAtATime", "is not one Updraft can run"},
		{"Canary-10Percent5Minutes", "Canary50Percent2Seconds"},
	}
	for _, tt := range tests {
		_, err := ParseDeploymentType(tt.in)
		if err == nil {
			t.Errorf("ParseDeploymentType(%q) accepted it", tt.in)
			continue
		}
		e := fn.AsError(err)
		if e.Status != 400 || e.Type != ValidationError || !strings.Contains(e.Message, tt.says) || !strings.Contains(e.Message, `"`+tt.in+`"`) {
			t.Errorf("ParseDeploymentType(%q) = %d %s %q, want a 400 %s naming it and saying %q", tt.in, e.Status, e.Type, e.Message, ValidationError, tt.says)
		}
	}
}

func TestDeploymentScheduleSteps(t *testing.T) {
	tests := []struct {
		in    string
		steps []float64
	}{
		{"AllAtOnce", nil},
		{"Canary10Percent5Minutes", []float64{0.1}},
		{"Linear10PercentEvery1Minute", []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}},
		{"Linear25PercentEvery1Second", []float64{0.25, 0.5, 0.75}},
		{"Linear30PercentEvery2Minutes", []float64{0.3, 0.6, 0.9}},
		{"Linear50PercentEvery1Minute", []float64{0.5}},
		{"Linear99PercentEvery1Minute", []float64{0.99}},
	}
	for _, tt := range tests {
		s, err := ParseDeploymentType(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Steps(); !slices.Equal(got, tt.steps) {
			t.Errorf("%s: Steps() = %v, want %v", tt.in, got, tt.steps)
		}
		if got := s.String(); got != tt.in {
			t.Errorf("String() = %q, want %q", got, tt.in)
		}
	}
}
