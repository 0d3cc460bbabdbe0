package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newAdminUsageCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Show the bytes each store and each tenant holds",
		Long: `Show what the server stores: bytes and messages of every JetStream
stream, KV bucket and object store (function code lives in the object
store "code", logs in the stream LOGS, billing records in USAGE), then per
tenant its functions, published versions, the code objects they reference
with their bytes (code shared between tenants counts for each), and its
messages in the LOGS, USAGE and QUEUES streams.

With the admin key it shows every store and tenant; with a tenant's key
only that tenant's row. Code no function or version references any more
is deleted a few minutes after the delete or redeploy that freed it. With
--output json it prints {"stores":[…],"tenants":[…]}.`,
		Example: `  updraft admin usage
  updraft admin usage -o json`,
		Args: args(),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		s, err := c.Storage(ctx)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(s)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
		if len(s.Stores) > 0 {
			fmt.Fprintln(tw, "STORE\tKIND\tBYTES\tMESSAGES")
			for _, st := range s.Stores {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", st.Name, st.Kind, st.Bytes, st.Messages)
			}
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "TENANT\tFUNCTIONS\tVERSIONS\tCODE_OBJECTS\tCODE_BYTES\tMESSAGES")
		for _, t := range s.Tenants {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", t.Tenant, t.Functions, t.Versions, t.CodeObjects, t.CodeBytes, messages(t.Messages))
		}
		return tw.Flush()
	})
	return cmd
}

// messages prints stream → count as "LOGS=12 USAGE=3", or "-".
func messages(m map[string]uint64) string {
	if len(m) == 0 {
		return "-"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, m[n])
	}
	return strings.Join(parts, " ")
}
