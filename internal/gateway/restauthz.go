package gateway

import (
	"net/http"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// Every REST request is checked against its key's scope and, for function
// credentials with permissions (updraft.yaml permissions:), those: the
// Lambda API with Lambda's action names ("lambda:InvokeFunction" on the
// function's ARN), the management API /v1 as "updraft:METHOD
// /v1/PATH-PATTERN" on "*".

// restRule names the Lambda action of a route pattern by its last path
// elements and method.
type restRule struct {
	suffix string // the pattern's path ends with it
	method string
	action string
}

// restRules are checked in order; the first whose suffix and method match
// names the action. Longer suffixes come first.
var restRules = []restRule{
	{"/invocations", "POST", "InvokeFunction"},
	{"/event-source-mappings/{uuid}", "GET", "GetEventSourceMapping"},
	{"/event-source-mappings/{uuid}", "PUT", "UpdateEventSourceMapping"},
	{"/event-source-mappings/{uuid}", "DELETE", "DeleteEventSourceMapping"},
	{"/event-source-mappings/", "POST", "CreateEventSourceMapping"},
	{"/event-source-mappings/", "GET", "ListEventSourceMappings"},
	{"/provisioned-concurrency", "PUT", "PutProvisionedConcurrencyConfig"},
	{"/provisioned-concurrency", "GET", "GetProvisionedConcurrencyConfig"},
	{"/provisioned-concurrency", "DELETE", "DeleteProvisionedConcurrencyConfig"},
	{"/concurrency", "PUT", "PutFunctionConcurrency"},
	{"/concurrency", "GET", "GetFunctionConcurrency"},
	{"/concurrency", "DELETE", "DeleteFunctionConcurrency"},
	{"/event-invoke-config/list", "GET", "ListFunctionEventInvokeConfigs"},
	{"/event-invoke-config", "PUT", "PutFunctionEventInvokeConfig"},
	{"/event-invoke-config", "POST", "UpdateFunctionEventInvokeConfig"},
	{"/event-invoke-config", "GET", "GetFunctionEventInvokeConfig"},
	{"/event-invoke-config", "DELETE", "DeleteFunctionEventInvokeConfig"},
	{"/urls", "GET", "ListFunctionUrlConfigs"},
	{"/url", "POST", "CreateFunctionUrlConfig"},
	{"/url", "GET", "GetFunctionUrlConfig"},
	{"/url", "PUT", "UpdateFunctionUrlConfig"},
	{"/url", "DELETE", "DeleteFunctionUrlConfig"},
	{"/versions", "POST", "PublishVersion"},
	{"/versions", "GET", "ListVersionsByFunction"},
	{"/aliases/{alias}", "GET", "GetAlias"},
	{"/aliases/{alias}", "PUT", "UpdateAlias"},
	{"/aliases/{alias}", "DELETE", "DeleteAlias"},
	{"/aliases", "POST", "CreateAlias"},
	{"/aliases", "GET", "ListAliases"},
	{"/configuration", "GET", "GetFunctionConfiguration"},
	{"/configuration", "PUT", "UpdateFunctionConfiguration"},
	{"/code", "PUT", "UpdateFunctionCode"},
	{"/account-settings", "GET", "GetAccountSettings"},
	{"/tags/{arn}", "GET", "ListTags"},
	{"/tags/{arn}", "POST", "TagResource"},
	{"/tags/{arn}", "DELETE", "UntagResource"},
	{"/functions/{name}", "GET", "GetFunction"},
	{"/functions/{name}", "DELETE", "DeleteFunction"},
	{"/functions", "POST", "CreateFunction"},
	{"/functions", "GET", "ListFunctions"},
}

// restAuthorize checks a REST request against its principal's permissions.
func restAuthorize(r *http.Request) error {
	p := wire.PrincipalOf(r.Context())
	if r.Pattern == "" || (p.Unrestricted() && p.Scope == fn.ScopeAdmin) {
		return nil
	}
	return wire.Authorize(r, RESTAction(r.Pattern), restResource(r, p.Tenant))
}

// RESTAction is the action a REST route's pattern ("POST
// /2015-03-31/functions/{name}/invocations") is authorized as:
// "lambda:InvokeFunction", or "updraft:METHOD PATH" for /v1.
func RESTAction(pattern string) string {
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimSuffix(path, "{$}")
	if strings.HasPrefix(path, "/v1/") {
		return "updraft:" + method + " " + path
	}
	trimmed := strings.TrimSuffix(path, "/")
	for _, rule := range restRules {
		if rule.method == method && (strings.HasSuffix(path, rule.suffix) || strings.HasSuffix(trimmed, rule.suffix)) {
			return "lambda:" + rule.action
		}
	}
	return "updraft:" + method + " " + path
}

// restResource is the function the request names, or "*".
func restResource(r *http.Request, tenant string) string {
	name := r.PathValue("name")
	if name == "" {
		return "*"
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 && strings.HasPrefix(name, "arn:") {
		return name // an ARN already
	}
	name, _, _ = strings.Cut(name, ":") // NAME:QUALIFIER
	return fn.ARN(tenant, name, "")
}
