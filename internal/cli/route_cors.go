package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

func newRouteCORSCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cors",
		Short: "Manage the API-wide CORS configuration of your routes: set, get, rm",
		Long: `The API-wide CORS configuration applies to every route without one of its
own (route add --cors-origin) and answers preflights of any path, as API
Gateway's API-level CORS does.`,
		Example: `  updraft route cors set --origin https://app.example --method GET --method POST --header content-type --max-age 600
  updraft route cors get -o json
  updraft route cors rm`,
	}
	set := &cobra.Command{
		Use:     "set",
		Short:   "Set the API-wide CORS configuration",
		Example: `  updraft route cors set --origin '*' --method '*' --header '*'`,
		Args:    args(),
	}
	f := set.Flags()
	origins := f.StringSlice("origin", nil, "allowed origin, or * (repeatable; required)")
	methods := f.StringSlice("method", nil, "allowed method, or * (repeatable)")
	headers := f.StringSlice("header", nil, "allowed request header, or * (repeatable)")
	expose := f.StringSlice("expose-header", nil, "response header exposed to the browser (repeatable)")
	maxAge := f.Int("max-age", 0, "seconds a preflight may be cached")
	creds := f.Bool("credentials", false, "allow credentialed requests")
	set.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		if len(*origins) == 0 {
			return usagef("missing --origin")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		cors := &apiclient.RouteCORS{AllowOrigins: *origins, AllowMethods: *methods, AllowHeaders: *headers,
			ExposeHeaders: *expose, MaxAge: *maxAge, AllowCredentials: *creds}
		if err := c.SetRouteCORS(ctx, cors); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "API-wide CORS set for origins %s\n", strings.Join(*origins, ", "))
		return err
	})
	get := &cobra.Command{Use: "get", Short: "Show the API-wide CORS configuration", Example: "  updraft route cors get -o json", Args: args()}
	get.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		cors, err := c.RouteCORSSettings(ctx)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(cors)
		}
		if cors == nil {
			_, err = fmt.Fprintln(a.stdout, "no API-wide CORS configuration")
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "origins:        %s\nmethods:        %s\nheaders:        %s\nexpose headers: %s\nmax age:        %d\ncredentials:    %t\n",
			strings.Join(cors.AllowOrigins, ", "), strings.Join(cors.AllowMethods, ", "), strings.Join(cors.AllowHeaders, ", "),
			strings.Join(cors.ExposeHeaders, ", "), cors.MaxAge, cors.AllowCredentials)
		return err
	})
	rm := &cobra.Command{Use: "rm", Short: "Remove the API-wide CORS configuration", Example: "  updraft route cors rm", Args: args()}
	rm.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.SetRouteCORS(ctx, nil); err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.stdout, "API-wide CORS removed")
		return err
	})
	cmd.AddCommand(set, get, rm)
	return cmd
}
