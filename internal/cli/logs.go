package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/fn"
)

func newLogsCmd(a *app) *cobra.Command {
	var (
		since  string
		follow bool
	)
	cmd := &cobra.Command{
		Use:   "logs NAME",
		Short: "Print a function's logs",
		Long: `Print what a function wrote to stdout and stderr, one line each, oldest
first, together with the platform's START, END and REPORT lines for every
call (the REPORT line has the duration, billed time and memory). A call the
platform ended — a timeout, a crash, running out of memory, a failed init —
gets a line saying why before its END line, as on Lambda.

--since takes a duration back from now (30s, 10m, 2h) or an RFC 3339 time.
With --follow the command keeps printing new lines as they come until you
stop it with Ctrl-C. With --output json each line is a JSON object with the
time, function, request id and message.`,
		Example: `  updraft logs hello
  updraft logs hello --since 2h
  updraft logs hello --follow
  updraft logs hello --since 2025-01-02T15:04:05Z -o json`,
		Args: args("NAME"),
	}
	cmd.Flags().StringVar(&since, "since", "10m", "show lines newer than this duration ago or RFC 3339 time")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines until interrupted")

	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if err := checkSince(since); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		enc := json.NewEncoder(a.stdout)
		err = c.Logs(ctx, args[0], since, follow, func(e fn.LogEntry) error {
			if a.jsonOutput() {
				return enc.Encode(e)
			}
			_, err := fmt.Fprintln(a.stdout, strings.TrimRight(e.Message, "\r\n"))
			return err
		})
		if follow && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil // interrupted: the normal end of --follow
		}
		return err
	})
	return cmd
}

// checkSince accepts what the API's since parameter takes: a Go duration
// or an RFC 3339 time; empty means the server's default.
func checkSince(s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.ParseDuration(s); err == nil {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, s); err == nil {
		return nil
	}
	return usagef("--since %q is neither a duration (30s, 10m, 2h) nor an RFC 3339 time (2025-01-02T15:04:05Z)", s)
}
