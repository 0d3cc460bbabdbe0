package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

func newDestinationsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "destinations FUNCTION",
		Short: "Show or set where a function's asynchronous results go, and its retries",
		Long: `Without flags, show the function's asynchronous invocation settings
(Lambda's FunctionEventInvokeConfig). With flags, change them; flags not
given keep their value:

  --on-success ARN  send a record of each successful asynchronous call here
  --on-failure ARN  send a record of each call that failed for good here
                    (ARN: an SQS queue arn:aws:sqs:local:ACCOUNT:NAME, an SNS
                    topic arn:aws:sns:local:ACCOUNT:NAME or a function
                    arn:aws:lambda:local:ACCOUNT:function:NAME; "" removes it)
  --max-retries N   retries after a function error, 0 to 2 (default 2)
  --max-age S       give an event up when it is older than S seconds,
                    60 to 21600 (default 21600)

The records have Lambda's destination shape: requestContext (condition
Success, RetriesExhausted or EventAgeExceeded), requestPayload,
responseContext and responsePayload. Your account id is in
updraft keys create's output and in every ARN updraft get shows.`,
		Example: `  updraft destinations resize --on-failure arn:aws:sqs:local:123456789012:resize-failed --max-retries 1
  updraft destinations resize --on-success arn:aws:lambda:local:123456789012:function:notify
  updraft destinations resize`,
		Args: args("FUNCTION"),
	}
	f := cmd.Flags()
	onSuccess := f.String("on-success", "", "destination ARN for success records (\"\" removes it)")
	onFailure := f.String("on-failure", "", "destination ARN for failure records (\"\" removes it)")
	retries := f.Int("max-retries", fn.DefaultMaxRetryAttempts, "retries after a function error (0-2)")
	maxAge := f.Int("max-age", fn.DefaultMaxEventAgeSec, "maximum event age in seconds (60-21600)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		name := args[0]
		changed := false
		var ec apiclient.EventConfig
		if f.Changed("on-success") {
			ec.DestinationConfig.OnSuccess, changed = &apiclient.Destination{Destination: *onSuccess}, true
		}
		if f.Changed("on-failure") {
			ec.DestinationConfig.OnFailure, changed = &apiclient.Destination{Destination: *onFailure}, true
		}
		if f.Changed("max-retries") {
			ec.MaximumRetryAttempts, changed = retries, true
		}
		if f.Changed("max-age") {
			ec.MaximumEventAgeInSeconds, changed = maxAge, true
		}
		var out *apiclient.EventConfig
		if changed {
			out, err = c.PutEventConfig(ctx, name, &ec, false)
			var ae *apiclient.Error
			if errors.As(err, &ae) && ae.Status == 404 && strings.Contains(ae.Message, "EventInvokeConfig") {
				out, err = c.PutEventConfig(ctx, name, &ec, true) // none yet: create it
			}
		} else {
			out, err = c.GetEventConfig(ctx, name)
		}
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(out)
		}
		show := func(d *apiclient.Destination) string {
			if d == nil || d.Destination == "" {
				return "-"
			}
			return d.Destination
		}
		r, age := fn.DefaultMaxRetryAttempts, fn.DefaultMaxEventAgeSec
		if out.MaximumRetryAttempts != nil {
			r = *out.MaximumRetryAttempts
		}
		if out.MaximumEventAgeInSeconds != nil {
			age = *out.MaximumEventAgeInSeconds
		}
		_, err = fmt.Fprintf(a.stdout, "function:     %s\non success:   %s\non failure:   %s\nmax retries:  %d\nmax age:      %v\nmodified:     %s\n",
			out.FunctionArn, show(out.DestinationConfig.OnSuccess), show(out.DestinationConfig.OnFailure),
			r, time.Duration(age)*time.Second, out.Modified().Local().Format(time.DateTime))
		return err
	})
	return cmd
}
