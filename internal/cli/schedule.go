package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

func newScheduleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run functions on a schedule: add, ls, get, rm, pause, resume",
		Long: `Schedules invoke a function at times given by an expression, with EventBridge
Scheduler's semantics (see docs/SCHEDULES.md):

  rate(VALUE minute|minutes|hour|hours|day|days)   e.g. rate(5 minutes), rate(1 hour)
  cron(MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)
      one of day-of-month and day-of-week is ?; day-of-week 1-7 is SUN-SAT;
      L (last day), LW, 15W (nearest weekday), 6L (last Friday), 3#2
      (second Tuesday), ranges, lists, steps (0/15) and names (JAN, MON)
  at(yyyy-mm-ddThh:mm:ss)                          once, then COMPLETED

Times are in --timezone (IANA, default UTC). The function gets --input, or
else EventBridge's "Scheduled Event", asynchronously: with its retries and
destinations. Each tick fires once across restarts and servers; ticks missed
while no server ran follow --catch-up: none, one (the latest, default) or all.`,
		Example: `  updraft schedule add nightly --expression 'cron(0 2 * * ? *)' --function report --timezone Europe/Berlin
  updraft schedule add every5 --expression 'rate(5 minutes)' --function poll:live --input '{"source":"timer"}'
  updraft schedule add once --expression 'at(2026-12-31T23:59:00)' --function greet
  updraft schedule ls
  updraft schedule get nightly --output json
  updraft schedule pause nightly
  updraft schedule resume nightly
  updraft schedule rm nightly`,
	}
	cmd.AddCommand(newScheduleAddCmd(a), newScheduleLsCmd(a), newScheduleGetCmd(a), newScheduleRmCmd(a),
		newScheduleStateCmd(a, "pause", "Stop a schedule firing until resumed"),
		newScheduleStateCmd(a, "resume", "Let a paused schedule fire again, from now on"))
	return cmd
}

func newScheduleAddCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a schedule",
		Long: `Create schedule NAME (letters, digits, - and _) invoking --function
(NAME or NAME:ALIAS) at the times of --expression. --start and --end (RFC 3339,
e.g. 2026-12-01T00:00:00Z) bound a recurring schedule; --flexible-window
delays each tick by a random time of up to that many minutes.`,
		Example: `  updraft schedule add nightly --expression 'cron(0 2 * * ? *)' --function report
  updraft schedule add weekdays --expression 'cron(0 8 ? * MON-FRI *)' --function standup --timezone America/New_York
  updraft schedule add hourly --expression 'rate(1 hour)' --function sync --catch-up none --flexible-window 10`,
		Args: args("NAME"),
	}
	f := cmd.Flags()
	expr := f.String("expression", "", "rate(...), cron(...) or at(...) (required)")
	function := f.String("function", "", "the function to invoke, NAME or NAME:ALIAS (required)")
	input := f.String("input", "", "JSON sent instead of the Scheduled Event")
	tz := f.String("timezone", "", "IANA time zone of the expression (default UTC)")
	start := f.String("start", "", "first time a recurring schedule may fire (RFC 3339)")
	end := f.String("end", "", "last time a recurring schedule may fire (RFC 3339)")
	window := f.Int("flexible-window", 0, "delay each tick randomly by up to this many minutes (0: off)")
	catchUp := f.String("catch-up", "", "ticks missed while down: none, one (default) or all")
	disabled := f.Bool("disabled", false, "create the schedule paused")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if *expr == "" || *function == "" {
			return usagef("schedule add needs --expression and --function")
		}
		s := apiclient.Schedule{Name: args[0], Expression: *expr, Function: *function, Timezone: *tz,
			FlexibleWindow: *window, CatchUp: *catchUp}
		if *input != "" {
			if !json.Valid([]byte(*input)) {
				return usagef("--input is not valid JSON: %s", *input)
			}
			s.Input = json.RawMessage(*input)
		}
		var err error
		if s.Start, err = flagTime("start", *start); err != nil {
			return err
		}
		if s.End, err = flagTime("end", *end); err != nil {
			return err
		}
		if *disabled {
			s.State = "DISABLED"
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		out, err := c.CreateSchedule(ctx, s)
		if err != nil {
			return err
		}
		return a.printSchedule(out)
	})
	return cmd
}

// flagTime parses an RFC 3339 flag ("" is none).
func flagTime(flag, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, usagef("--%s takes an RFC 3339 time such as 2026-12-01T00:00:00Z, not %q", flag, v)
	}
	return &t, nil
}

func newScheduleLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List schedules",
		Long:    `List your schedules with their state, last and next tick.`,
		Example: "  updraft schedule ls\n  updraft schedule ls --output json",
		Args:    args(),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		list, err := c.ListSchedules(ctx)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			if list == nil {
				list = []apiclient.Schedule{}
			}
			return a.printJSON(list)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tEXPRESSION\tFUNCTION\tSTATE\tLAST TICK\tNEXT TICK")
		for _, s := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Expression, scheduleTarget(&s), s.State, when(s.LastTick), when(s.NextTick))
		}
		return tw.Flush()
	})
	return cmd
}

func scheduleTarget(s *apiclient.Schedule) string {
	if s.Qualifier != "" {
		return s.Function + ":" + s.Qualifier
	}
	return s.Function
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func newScheduleGetCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "get NAME",
		Short:   "Show a schedule",
		Example: "  updraft schedule get nightly\n  updraft schedule get nightly --output json",
		Args:    args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		s, err := c.GetSchedule(ctx, args[0])
		if err != nil {
			return err
		}
		return a.printSchedule(s)
	})
	return cmd
}

func (a *app) printSchedule(s *apiclient.Schedule) error {
	if a.jsonOutput() {
		return a.printJSON(s)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("name", s.Name)
	row("arn", s.ARN)
	row("expression", s.Expression)
	row("timezone", s.Timezone)
	row("function", scheduleTarget(s))
	row("input", string(s.Input))
	row("state", s.State)
	row("catch-up", s.CatchUp)
	if s.FlexibleWindow > 0 {
		row("flexible window", fmt.Sprintf("%d min", s.FlexibleWindow))
	}
	if s.Start != nil {
		row("start", when(s.Start))
	}
	if s.End != nil {
		row("end", when(s.End))
	}
	row("owner", s.Owner)
	row("last tick", when(s.LastTick))
	row("next tick", when(s.NextTick))
	row("fired", fmt.Sprint(s.Fired))
	if s.Skipped > 0 {
		row("skipped", fmt.Sprintf("%d (missed while down; --catch-up %s)", s.Skipped, s.CatchUp))
	}
	if s.Dropped > 0 {
		row("dropped", fmt.Sprintf("%d (the function did not exist)", s.Dropped))
	}
	return tw.Flush()
}

func newScheduleRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a schedule",
		Long: `Delete a schedule: it fires no more. Ticks already handed to the function's
asynchronous queue still run.`,
		Example: "  updraft schedule rm nightly",
		Args:    args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.DeleteSchedule(ctx, args[0]); err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]string{"deleted": args[0]})
		}
		_, err = fmt.Fprintf(a.stdout, "deleted schedule %s\n", args[0])
		return err
	})
	return cmd
}

func newScheduleStateCmd(a *app, verb, short string) *cobra.Command {
	cmd := &cobra.Command{
		Use:     verb + " NAME",
		Short:   short,
		Example: "  updraft schedule " + verb + " nightly",
		Args:    args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		var s *apiclient.Schedule
		if verb == "pause" {
			s, err = c.PauseSchedule(ctx, args[0])
		} else {
			s, err = c.ResumeSchedule(ctx, args[0])
		}
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(s)
		}
		_, err = fmt.Fprintf(a.stdout, "schedule %s is %s\n", s.Name, s.State)
		return err
	})
	return cmd
}
