package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

func newInvokeCmd(a *app) *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "invoke NAME",
		Short: "Call a function and print its result",
		Long: `Call a function synchronously, the way AWS Lambda's Invoke does, and print
what it returned to stdout.

The event is JSON, given with --data: literal JSON, @FILE to read a file, or
- to read stdin. Without --data the event is {}.

If the function fails (it raised an error, crashed or timed out), the error
it reported is printed to stderr as JSON and the exit code is 1. With
--output json, stdout gets one object with the status code, the function
error (empty on success), the request id, the version that ran and the
payload.

With --async the call is queued instead (Lambda's InvocationType Event):
the command returns once the server stored the event durably and prints
its request id. The function runs soon after; a failed run is retried
(see updraft destinations) and ends, if it keeps failing, at the
function's on-failure destination, its dead-letter queue, or in
updraft events failed.`,
		Example: `  updraft invoke hello
  updraft invoke hello --data '{"name":"world"}'
  updraft invoke hello --data @event.json
  echo '{"n":42}' | updraft invoke hello --data -
  updraft invoke hello -o json
  updraft invoke hello --async --data '{"job":7}'`,
		Args: args("NAME"),
	}
	cmd.Flags().StringVarP(&data, "data", "d", "{}", "the event: JSON, @FILE to read a file, or - to read stdin")
	async := cmd.Flags().Bool("async", false, "queue the call (InvocationType Event) and print its request id")

	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		payload, err := readPayload(data, a.stdin)
		if err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		if *async {
			id, err := c.InvokeAsync(ctx, args[0], payload)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(map[string]any{"status_code": 202, "request_id": id})
			}
			_, err = fmt.Fprintln(a.stdout, id)
			return err
		}
		res, err := c.Invoke(ctx, args[0], payload)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			if err := a.printJSON(invokeJSON(res)); err != nil {
				return err
			}
		} else {
			out := a.stdout
			if res.FunctionError != "" {
				out = a.stderr
			}
			if err := writeLine(out, res.Payload); err != nil {
				return err
			}
		}
		if res.FunctionError != "" {
			return exitCode(1)
		}
		return nil
	})
	return cmd
}

// readPayload resolves --data: "-" is stdin, "@FILE" a file, else literal.
func readPayload(data string, stdin io.Reader) ([]byte, error) {
	switch {
	case data == "-":
		if stdin == nil {
			return nil, fmt.Errorf("--data -: there is no stdin to read the event from")
		}
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading the event from stdin: %w", err)
		}
		return b, nil
	case strings.HasPrefix(data, "@"):
		b, err := os.ReadFile(data[1:])
		if err != nil {
			return nil, fmt.Errorf("reading the event: %w", err)
		}
		return b, nil
	}
	return []byte(data), nil
}

// invokeJSON is the --output json form of an invocation's result.
func invokeJSON(res *apiclient.InvokeResult) any {
	var payload any = string(res.Payload)
	if json.Valid(res.Payload) {
		payload = json.RawMessage(res.Payload)
	}
	return struct {
		StatusCode      int    `json:"status_code"`
		FunctionError   string `json:"function_error"`
		RequestID       string `json:"request_id"`
		ExecutedVersion string `json:"executed_version"`
		Payload         any    `json:"payload"`
	}{res.StatusCode, res.FunctionError, res.RequestID, res.ExecutedVersion, payload}
}

// writeLine writes b, ending it with a newline unless it has one or is empty.
func writeLine(w io.Writer, b []byte) error {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b[:len(b):len(b)], '\n')
	}
	_, err := w.Write(b)
	return err
}
