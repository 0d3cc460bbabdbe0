package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"delete"},
		Short:   "Delete a function",
		Long: `Delete a function with its code and configuration. Calls already running
finish; new calls get ResourceNotFoundException. Its logs and usage records
stay until they age out. There is no undo: deploy it again to bring it back.`,
		Example: `  updraft rm hello`,
		Args:    args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.DeleteFunction(ctx, args[0]); err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]string{"deleted": args[0]})
		}
		_, err = fmt.Fprintf(a.stdout, "deleted %s\n", args[0])
		return err
	})
	return cmd
}
