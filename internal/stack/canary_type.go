package stack

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Shift kinds of a DeploymentSchedule, CodeDeploy's traffic routing types.
const (
	ShiftAllAtOnce = "AllAtOnce" // all traffic to the new version at once
	ShiftCanary    = "Canary"    // Percent for Interval, then the rest
	ShiftLinear    = "Linear"    // Percent more every Interval until all
)

// DeploymentSchedule is a parsed DeploymentPreference.Type: how traffic
// moves from the alias's old version to its new one.
type DeploymentSchedule struct {
	Kind     string        // ShiftAllAtOnce, ShiftCanary or ShiftLinear
	Percent  int           // the canary's share, or each linear increment (1..99)
	Interval time.Duration // how long each step lasts before the next
}

// configPrefix is how CodeDeploy names its predefined Lambda configs
// (CodeDeployDefault.LambdaCanary10Percent5Minutes); SAM takes the name
// without it. Both are accepted.
const configPrefix = "CodeDeployDefault.Lambda"

var (
	canaryType = regexp.MustCompile(`^Canary([0-9]+)Percent([0-9]+)(Minutes?|Seconds?)$`)
	linearType = regexp.MustCompile(`^Linear([0-9]+)PercentEvery([0-9]+)(Minutes?|Seconds?)$`)
)

// ParseDeploymentType parses a DeploymentPreference.Type: AllAtOnce;
// CanaryNPercentMMinutes (CodeDeploy's Canary10Percent5Minutes, …10, 15
// and 30Minutes), N% of calls for M minutes, then all; or
// LinearNPercentEveryMMinute(s) (Linear10PercentEvery1Minute, …2, 3 and
// 10Minutes), N% more every M minutes until all. Any N from 1 to 99 and M
// from 1 are accepted, and — an Updraft extension, to shift fast in tests
// — Seconds as the unit (Canary50Percent2Seconds,
// Linear25PercentEvery1Second). CodeDeploy's own names with the
// CodeDeployDefault.Lambda prefix are accepted too.
func ParseDeploymentType(s string) (DeploymentSchedule, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), configPrefix)
	if t == ShiftAllAtOnce {
		return DeploymentSchedule{Kind: ShiftAllAtOnce}, nil
	}
	kind, m := ShiftCanary, canaryType.FindStringSubmatch(t)
	if m == nil {
		kind, m = ShiftLinear, linearType.FindStringSubmatch(t)
	}
	if m == nil {
		return DeploymentSchedule{}, badType(s, "")
	}
	pct, err1 := strconv.Atoi(m[1])
	n, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil || pct < 1 || pct > 99 {
		return DeploymentSchedule{}, badType(s, "the percentage must be 1 to 99")
	}
	if n < 1 || n > 24*60 {
		return DeploymentSchedule{}, badType(s, "the interval must be 1 to 1440 minutes (or 86400 seconds)")
	}
	unit := time.Minute
	if strings.HasPrefix(m[3], "Second") {
		unit = time.Second
	}
	return DeploymentSchedule{Kind: kind, Percent: pct, Interval: time.Duration(n) * unit}, nil
}

func badType(s, why string) error {
	if why != "" {
		why += "; "
	}
	return invalid("deployment type %q is not one Updraft can run: %suse AllAtOnce, CanaryNPercentMMinutes "+
		"(Canary10Percent5Minutes: 10%% of calls for 5 minutes, then all) or LinearNPercentEveryMMinutes "+
		"(Linear10PercentEvery1Minute: 10%% more every minute), with any N from 1 to 99 and M from 1; "+
		"Seconds in place of Minutes shifts faster (Canary50Percent2Seconds, Linear25PercentEvery1Second)", s, why)
}

// Steps are the shares of calls the new version gets, in order, before
// the last step to all of them (which is not listed): [0.1] for a 10%
// canary, [0.1 0.2 … 0.9] for 10% linear, none for AllAtOnce. Each step
// lasts Interval.
func (s DeploymentSchedule) Steps() []float64 {
	switch s.Kind {
	case ShiftCanary:
		return []float64{float64(s.Percent) / 100}
	case ShiftLinear:
		var out []float64
		for p := s.Percent; p < 100; p += s.Percent {
			out = append(out, float64(p)/100)
		}
		return out
	}
	return nil
}

// String is CodeDeploy's name for the schedule.
func (s DeploymentSchedule) String() string {
	unit := "Minutes"
	n := int(s.Interval / time.Minute)
	if s.Interval%time.Minute != 0 {
		unit, n = "Seconds", int(s.Interval/time.Second)
	}
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	switch s.Kind {
	case ShiftCanary:
		return fmt.Sprintf("Canary%dPercent%d%s", s.Percent, n, unit)
	case ShiftLinear:
		return fmt.Sprintf("Linear%dPercentEvery%d%s", s.Percent, n, unit)
	}
	return ShiftAllAtOnce
}
