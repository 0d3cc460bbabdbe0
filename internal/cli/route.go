package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

func newRouteCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "route",
		Short: "Manage HTTP API routes: add, ls, rm, and their API keys",
		Long: `Routes send HTTP requests to functions with API Gateway HTTP API semantics
(payload format 2.0, or REST APIs' proxy event with --payload-format-version
1.0). They are served on the routes listener (serve
--routes-listen, default 127.0.0.1:8088): the default tenant's at its root,
tenant T's at the host T.localhost (serve --routes-domain changes
"localhost"). A route key is "METHOD /path" with {name} and a last greedy
{name+} variable, METHOD one of GET POST PUT PATCH DELETE HEAD OPTIONS ANY,
or "$default" for everything no other route matches. The most specific route
wins; an unmatched request gets 404 {"message":"Not Found"}.

Authorizers: --auth apikey (header x-api-key, keys made with "route key
create" and their usage plans), --auth jwt (HS256 secret or a JWKS file or
http URL), --auth function:NAME (a Lambda authorizer with simple responses).
CORS is per route (--cors-origin) or API-wide ("route cors set"). See
docs/TRIGGERS-routes.md.`,
		Example: `  updraft route add "GET /items/{id}" items
  updraft route add "ANY /admin/{proxy+}" admin:live --auth jwt --jwt-jwks ./jwks.json --jwt-issuer me --jwt-audience api
  updraft route add "POST /orders" orders --schema order.schema.json --cors-origin https://app.example
  updraft route add '$default' fallback
  updraft route add "GET /hello" hello --payload-format-version 1.0 --stage Prod
  updraft route ls
  updraft route rm "GET /items/{id}"
  curl http://127.0.0.1:8088/items/7`,
	}
	cmd.AddCommand(newRouteAddCmd(a), newRouteLsCmd(a), newRouteRmCmd(a), newRouteKeyCmd(a), newRouteCORSCmd(a))
	return cmd
}

func newRouteAddCmd(a *app) *cobra.Command {
	var (
		auth, jwtSecret, jwtJWKS, jwtIssuer, schema string
		payloadVersion, stage                       string
		jwtAudience, corsOrigins, corsMethods       []string
		corsHeaders, corsExpose, identity           []string
		requiredQuery, requiredHeaders              []string
		corsMaxAge, authTTL                         int
		corsCredentials                             bool
	)
	cmd := &cobra.Command{
		Use:   `add "METHOD /path" FUNCTION[:ALIAS]`,
		Short: "Add or replace a route",
		Long: `Add a route, or replace the route with the same key. FUNCTION may name an
alias or version (items:live). The schema file is a JSON Schema the request
body must satisfy (else 400 before the function runs); a bad schema is
refused here. --cors-origin (repeatable) turns on CORS for the route:
preflights are answered by the platform.`,
		Example: `  updraft route add "GET /items/{id}" items
  updraft route add "POST /items" items --auth apikey --schema item.json
  updraft route add "GET /me" profile --auth jwt --jwt-secret s3cret --jwt-issuer https://issuer.local
  updraft route add "GET /private/{proxy+}" files --auth function:check --auth-ttl 60
  updraft route add "PUT /items/{id}" items --cors-origin https://app.example --cors-method PUT --cors-header content-type`,
		Args: args("ROUTE", "FUNCTION"),
	}
	f := cmd.Flags()
	f.StringVar(&auth, "auth", "none", "authorizer: none, apikey, jwt or function:NAME")
	f.StringVar(&jwtSecret, "jwt-secret", "", "HS256 secret of a jwt authorizer")
	f.StringVar(&jwtJWKS, "jwt-jwks", "", "JWKS of a jwt authorizer: a file on the server's machine or an http(s) URL")
	f.StringVar(&jwtIssuer, "jwt-issuer", "", "required iss claim of a jwt authorizer")
	f.StringSliceVar(&jwtAudience, "jwt-audience", nil, "accepted aud (or client_id) values of a jwt authorizer (repeatable)")
	f.StringSliceVar(&identity, "identity-source", nil, "a Lambda authorizer's identity sources (default $request.header.Authorization)")
	f.IntVar(&authTTL, "auth-ttl", -1, "seconds a Lambda authorizer's answer is cached per identity (default 300, 0: none)")
	f.StringVar(&schema, "schema", "", "JSON Schema file the request body must satisfy")
	f.StringSliceVar(&requiredQuery, "require-query", nil, "query string parameters a request must carry (repeatable)")
	f.StringSliceVar(&requiredHeaders, "require-header", nil, "headers a request must carry (repeatable)")
	f.StringSliceVar(&corsOrigins, "cors-origin", nil, "allowed CORS origin, or * (repeatable; turns CORS on)")
	f.StringSliceVar(&corsMethods, "cors-method", nil, "allowed CORS method (repeatable)")
	f.StringSliceVar(&corsHeaders, "cors-header", nil, "allowed CORS request header (repeatable)")
	f.StringSliceVar(&corsExpose, "cors-expose-header", nil, "response header exposed to the browser (repeatable)")
	f.IntVar(&corsMaxAge, "cors-max-age", 0, "seconds a preflight may be cached")
	f.BoolVar(&corsCredentials, "cors-credentials", false, "allow credentialed cross-origin requests")
	f.StringVar(&payloadVersion, "payload-format-version", "2.0", "the event the function gets: 2.0 (HTTP API) or 1.0 (REST API proxy event)")
	f.StringVar(&stage, "stage", "$default", "the event's requestContext.stage (a REST API's stage name, e.g. Prod)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		name, qualifier, _ := strings.Cut(argv[1], ":")
		r := apiclient.Route{RouteKey: argv[0], Function: name, Qualifier: qualifier,
			RequiredQuery: requiredQuery, RequiredHeaders: requiredHeaders, PayloadFormatVersion: payloadVersion, Stage: stage}
		r.Auth.Type = auth
		if fname, ok := strings.CutPrefix(auth, "function:"); ok {
			r.Auth = apiclient.RouteAuth{Type: "function", Function: fname, IdentitySource: identity}
			if authTTL >= 0 {
				r.Auth.TTLSeconds = &authTTL
			}
		}
		if jwtSecret != "" || jwtJWKS != "" || jwtIssuer != "" || len(jwtAudience) > 0 {
			r.Auth.JWT = &apiclient.RouteJWT{Secret: jwtSecret, JWKS: jwtJWKS, Issuer: jwtIssuer, Audience: jwtAudience}
		}
		if schema != "" {
			b, err := os.ReadFile(schema)
			if err != nil {
				return fmt.Errorf("--schema: %w", err)
			}
			if !json.Valid(b) {
				return fmt.Errorf("--schema %s is not JSON", schema)
			}
			r.Schema = b
		}
		if len(corsOrigins) > 0 {
			r.CORS = &apiclient.RouteCORS{AllowOrigins: corsOrigins, AllowMethods: corsMethods, AllowHeaders: corsHeaders,
				ExposeHeaders: corsExpose, MaxAge: corsMaxAge, AllowCredentials: corsCredentials}
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		out, err := c.PutRoute(ctx, r)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(out)
		}
		_, err = fmt.Fprintf(a.stdout, "route %s → %s\n", out.RouteKey, routeTarget(*out))
		return err
	})
	return cmd
}

func routeTarget(r apiclient.Route) string {
	if r.Qualifier != "" {
		return r.Function + ":" + r.Qualifier
	}
	return r.Function
}

func authWord(a apiclient.RouteAuth) string {
	if a.Type == "function" {
		return "function:" + a.Function
	}
	if a.Type == "" {
		return "none"
	}
	return a.Type
}

func newRouteLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List routes",
		Long: `List your routes: key, function, authorizer, who made them (cli, or
yaml:FUNCTION for routes declared in a function's updraft.yaml) and the
payload format (with the stage when not $default). With
--output json it prints the routes as a JSON array.`,
		Example: `  updraft route ls
  updraft route ls -o json`,
		Args: args(),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		routes, err := c.ListRoutes(ctx)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(routes)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ROUTE\tFUNCTION\tAUTH\tCORS\tOWNER\tPAYLOAD")
		for _, r := range routes {
			owner := r.Owner
			if owner == "" {
				owner = "cli"
			}
			cors := "-"
			if r.CORS != nil {
				cors = strings.Join(r.CORS.AllowOrigins, ",")
			}
			payload := r.PayloadFormatVersion
			if payload == "" {
				payload = "2.0"
			}
			if r.Stage != "" && r.Stage != "$default" {
				payload += " stage " + r.Stage
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.RouteKey, routeTarget(r), authWord(r.Auth), cors, owner, payload)
		}
		return tw.Flush()
	})
	return cmd
}

func newRouteRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     `rm "METHOD /path"`,
		Short:   "Remove a route",
		Example: `  updraft route rm "GET /items/{id}"` + "\n  updraft route rm '$default'",
		Args:    args("ROUTE"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.DeleteRoute(ctx, argv[0]); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "route %s removed\n", argv[0])
		return err
	})
	return cmd
}

func newRouteKeyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage the API keys of routes with --auth apikey: create, ls, rm",
		Long: `API keys admit requests to routes with --auth apikey: callers send one in the
x-api-key header. Each key has a usage plan: --rate requests per second
with --burst (a token bucket), and --quota-per-day requests per UTC day.
Over either the caller gets 429 saying which.`,
		Example: `  updraft route key create --rate 10 --burst 20 --quota-per-day 10000
  updraft route key ls
  updraft route key rm 3f2a9c01b7de`,
	}
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key with a usage plan (its value is shown once)",
		Example: `  updraft route key create --rate 5 --burst 10 --quota-per-day 1000
  curl -H "x-api-key: uk-…" http://127.0.0.1:8088/items/1`,
		Args: args(),
	}
	rate := create.Flags().Float64("rate", 0, "steady requests per second (0: no rate limit)")
	burst := create.Flags().Int("burst", 0, "requests allowed at once above the rate (default: the rate)")
	quota := create.Flags().Int64("quota-per-day", 0, "requests per UTC day (0: no quota)")
	create.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		k, err := c.CreateRouteKey(ctx, apiclient.RouteKey{Rate: *rate, Burst: *burst, QuotaPerDay: *quota})
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(k)
		}
		_, err = fmt.Fprintf(a.stdout, "id:    %s\nvalue: %s\n(the value is not shown again)\n", k.ID, k.Value)
		return err
	})
	ls := &cobra.Command{Use: "ls", Short: "List API keys of routes", Example: "  updraft route key ls -o json", Args: args()}
	ls.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		keys, err := c.ListRouteKeys(ctx)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(keys)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tRATE\tBURST\tQUOTA/DAY")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%g\t%d\t%d\n", k.ID, k.Rate, k.Burst, k.QuotaPerDay)
		}
		return tw.Flush()
	})
	rm := &cobra.Command{Use: "rm ID", Short: "Remove an API key of routes", Example: "  updraft route key rm 3f2a9c01b7de", Args: args("ID")}
	rm.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.DeleteRouteKey(ctx, argv[0]); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "key %s removed\n", argv[0])
		return err
	})
	cmd.AddCommand(create, ls, rm)
	return cmd
}
