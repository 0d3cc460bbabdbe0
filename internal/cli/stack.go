package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/deploy"
)

// templateFlags are deploy's flags for a SAM template.
type templateFlags struct {
	template, stack string
	params          []string
	dryRun, noWait  bool
}

func (t *templateFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&t.template, "template", "", "deploy an AWS SAM template (template.yaml) as a stack instead of one function")
	f.StringVar(&t.stack, "stack", "", "with --template: the stack's name (default: the template's directory name)")
	f.StringArrayVar(&t.params, "parameter-overrides", nil, "with --template: template parameter KEY=VALUE (repeat, or several separated by spaces)")
	f.BoolVar(&t.dryRun, "dry-run", false, "with --template: print the plan only, change nothing")
	f.BoolVar(&t.noWait, "no-wait", false, "with --template: return once the resources are in place, without following aliases' traffic shifts")
}

// deployTemplate runs `updraft deploy --template`.
func (a *app) deployTemplate(ctx context.Context, t templateFlags) error {
	b, err := deploy.PackageTemplate(t.template)
	if err != nil {
		return err
	}
	name := t.stack
	if name == "" {
		dir, err := filepath.Abs(filepath.Dir(t.template))
		if err != nil {
			return err
		}
		name = stackName(filepath.Base(dir))
	}
	params, err := parseOverrides(t.params)
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	if b.Built && !a.jsonOutput() {
		fmt.Fprintf(a.stderr, "deploying sam build's output %s\n", b.Path)
	}
	for _, u := range b.Compiled {
		fmt.Fprintf(a.stderr, "built %s (BuildMethod go1.x) into a bootstrap\n", u)
	}
	s, err := c.DeployStack(ctx, name, apiclient.StackBody{Template: string(b.Text), Parameters: params, Code: b.Code, DryRun: t.dryRun})
	if err != nil {
		if s != nil && !a.jsonOutput() {
			fmt.Fprintf(a.stdout, "stack %s: %s\n", s.Name, s.Status)
		}
		return err
	}
	if a.jsonOutput() {
		if !t.dryRun && !t.noWait {
			if s, err = a.followShifts(ctx, c, s, io.Discard); err != nil {
				return err
			}
		}
		return a.printJSON(s)
	}
	printPlan(a.stdout, s, t.dryRun)
	if t.dryRun {
		return nil
	}
	fmt.Fprintf(a.stdout, "stack %s: %s\n", s.Name, s.Status)
	if s.Reason != "" {
		fmt.Fprintf(a.stdout, "note: %s\n", s.Reason)
	}
	printOutputs(a.stdout, s)
	if t.noWait {
		return nil
	}
	s, err = a.followShifts(ctx, c, s, a.stdout)
	if err != nil {
		return err
	}
	for _, d := range s.Deployments {
		if d.Status == "RolledBack" {
			return fmt.Errorf("%s:%s rolled back to version %s: %s", d.Function, d.Alias, d.From, d.Reason)
		}
	}
	return nil
}

// stackName makes a directory name a stack name (letters, digits, -).
func stackName(dir string) string {
	var b strings.Builder
	for _, r := range dir {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// parseOverrides reads KEY=VALUE pairs; one flag may hold several
// separated by spaces (sam deploy's form).
func parseOverrides(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		for _, kv := range strings.Fields(f) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, usagef("--parameter-overrides takes KEY=VALUE, not %q", kv)
			}
			out[k] = v
		}
	}
	return out, nil
}

// followShifts prints the aliases' traffic shifts until they end.
func (a *app) followShifts(ctx context.Context, c *apiclient.Client, s *apiclient.Stack, w io.Writer) (*apiclient.Stack, error) {
	last := map[string]string{}
	for {
		running := false
		for _, d := range s.Deployments {
			if d.Status == "" {
				d.Status = "Starting"
			}
			line := shiftLine(d)
			if last[d.Function] != line {
				fmt.Fprintln(w, line)
				last[d.Function] = line
			}
			if d.Status != "Succeeded" && d.Status != "RolledBack" {
				running = true
			}
		}
		if !running {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(time.Second):
		}
		next, err := c.GetStack(ctx, s.Name)
		if err != nil {
			return s, err
		}
		s = next
	}
}

// shiftLine says where an alias's traffic shift stands.
func shiftLine(d apiclient.StackDeployment) string {
	line := fmt.Sprintf("%s:%s version %s → %s: %s, %.0f%% on %s", d.Function, d.Alias, d.From, d.To, d.Status, d.Weight*100, d.To)
	if d.Reason != "" {
		line += " (" + d.Reason + ")"
	}
	return line
}

func printPlan(w io.Writer, s *apiclient.Stack, dryRun bool) {
	title := "plan"
	if dryRun {
		title = "plan (dry run: nothing changed)"
	}
	fmt.Fprintf(w, "%s for stack %s:\n", title, s.Name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range s.Plan {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Action, p.LogicalID, p.Type, p.Name)
	}
	tw.Flush()
	for _, p := range s.Plan {
		for _, n := range p.Notes {
			fmt.Fprintf(w, "  note: %s: %s\n", p.LogicalID, n)
		}
	}
}

func printOutputs(w io.Writer, s *apiclient.Stack) {
	if len(s.Outputs) == 0 {
		return
	}
	fmt.Fprintln(w, "outputs:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, o := range s.Outputs {
		fmt.Fprintf(tw, "  %s\t%s\n", o.Key, o.Value)
	}
	tw.Flush()
}

func newStackCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stack",
		Short: "List, show and remove stacks (what `deploy --template` made)",
		Long: `A stack is the set of resources one SAM template made with
updraft deploy --template: functions, queues, topics, buckets, tables,
routes, schedules and event source mappings. Deploying the template again
updates the stack; removing the stack removes all of it.`,
	}
	ls := &cobra.Command{
		Use: "ls", Short: "List the stacks", Args: args(),
		Example: "  updraft stack ls",
		RunE: a.run(func(ctx context.Context, _ *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			list, err := c.ListStacks(ctx)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(list)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATUS\tRESOURCES\tUPDATED")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Name, s.Status, len(s.Resources), s.Updated.Format(time.RFC3339))
			}
			return tw.Flush()
		}),
	}
	get := &cobra.Command{
		Use: "get NAME", Short: "Show a stack: status, resources, outputs and traffic shifts", Args: args("NAME"),
		Example: "  updraft stack get sam-app\n  updraft stack get sam-app --output json",
		RunE: a.run(func(ctx context.Context, _ *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			s, err := c.GetStack(ctx, args[0])
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(s)
			}
			fmt.Fprintf(a.stdout, "stack %s: %s (updated %s)\n", s.Name, s.Status, s.Updated.Format(time.RFC3339))
			if s.Reason != "" {
				fmt.Fprintf(a.stdout, "reason: %s\n", s.Reason)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RESOURCE\tTYPE\tNAME\tID")
			for _, r := range s.Resources {
				id := r.Applied.ID
				if r.Applied.Version != "" {
					id = "version " + r.Applied.Version
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.LogicalID, r.Type, r.Name, id)
			}
			tw.Flush()
			printOutputs(a.stdout, s)
			for _, d := range s.Deployments {
				fmt.Fprintln(a.stdout, "shift "+shiftLine(d))
			}
			return nil
		}),
	}
	rm := &cobra.Command{
		Use: "rm NAME", Short: "Remove a stack and every resource it made", Args: args("NAME"),
		Example: "  updraft stack rm sam-app",
		RunE: a.run(func(ctx context.Context, _ *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.DeleteStack(ctx, args[0]); err != nil {
				return err
			}
			if !a.jsonOutput() {
				fmt.Fprintf(a.stdout, "removed stack %s\n", args[0])
			}
			return nil
		}),
	}
	cmd.AddCommand(ls, get, rm)
	return cmd
}
