package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

func newLogsCmd(a *app) *cobra.Command {
	var s apiclient.LogSearch
	cmd := &cobra.Command{
		Use:   "logs NAME",
		Short: "Print and search a function's logs",
		Long: `Print what a function wrote to stdout and stderr, one line each, oldest
first, together with the platform's START, END and REPORT lines for every
call (the REPORT line has the duration, billed time and memory). A call the
platform ended — a timeout, a crash, running out of memory, a failed init —
gets a line saying why before its END line, as on Lambda.

The server does the searching:
  --since and --until take a duration back from now (30s, 10m, 2h) or an
  RFC 3339 time; --since defaults to 10m, or to all kept lines with --tail.
  --filter TEXT keeps the lines containing TEXT (case-sensitive).
  --request-id ID keeps one call's lines, START to REPORT.
  --tail N keeps the last N matching lines.
With --follow the command keeps printing new matching lines as they come
until you stop it with Ctrl-C (not with --until). With --output json each
line is a JSON object with the time, function, request id and message.

A function with LoggingConfig.LogFormat JSON writes its lines, and gets its
START/END/REPORT records, as JSON objects (docs/OBSERVABILITY.md).`,
		Example: `  updraft logs hello
  updraft logs hello --since 2h --filter ERROR
  updraft logs hello --request-id 8f5c2d0e-0c39-4b8e-9b8a-6c1a3f0e2d11
  updraft logs hello --since 2025-01-02T15:04:05Z --until 2025-01-02T16:00:00Z
  updraft logs hello --tail 20 --follow
  updraft logs hello -o json`,
		Args: args("NAME"),
	}
	f := cmd.Flags()
	f.StringVar(&s.Since, "since", "10m", "show lines newer than this duration ago or RFC 3339 time (default 10m; all kept lines with --tail)")
	f.StringVar(&s.Until, "until", "", "show lines up to this duration ago or RFC 3339 time")
	f.StringVar(&s.Filter, "filter", "", "show only lines containing this text (case-sensitive)")
	f.StringVar(&s.RequestID, "request-id", "", "show only the lines of this invocation")
	f.IntVar(&s.Tail, "tail", 0, "show only the last N matching lines (0: all)")
	f.BoolVarP(&s.Follow, "follow", "f", false, "keep printing new lines until interrupted")

	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if s.Tail > 0 && !cmd.Flags().Changed("since") {
			s.Since = ""
		}
		if err := checkTime("--since", s.Since); err != nil {
			return err
		}
		if err := checkTime("--until", s.Until); err != nil {
			return err
		}
		if s.Tail < 0 {
			return usagef("--tail %d must not be negative", s.Tail)
		}
		if s.Follow && s.Until != "" {
			return usagef("--follow and --until do not go together")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		enc := json.NewEncoder(a.stdout)
		err = c.SearchLogs(ctx, args[0], s, func(e fn.LogEntry) error {
			if a.jsonOutput() {
				return enc.Encode(e)
			}
			_, err := fmt.Fprintln(a.stdout, strings.TrimRight(e.Message, "\r\n"))
			return err
		})
		if s.Follow && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil // interrupted: the normal end of --follow
		}
		return err
	})
	return cmd
}

// checkSince accepts what the API's since parameter takes: a Go duration
// or an RFC 3339 time; empty means the server's default.
func checkSince(s string) error { return checkTime("--since", s) }

// checkTime accepts what the API's since and until parameters take: a Go
// duration or an RFC 3339 time; empty means none.
func checkTime(flag, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.ParseDuration(s); err == nil {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, s); err == nil {
		return nil
	}
	return usagef("%s %q is neither a duration (30s, 10m, 2h) nor an RFC 3339 time (2025-01-02T15:04:05Z)", flag, s)
}
