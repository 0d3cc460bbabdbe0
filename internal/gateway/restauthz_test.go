package gateway

import "testing"

// Lambda routes get Lambda's action names; /v1 routes updraft:METHOD PATH.
func TestRESTActionsNamed(t *testing.T) {
	for _, c := range []struct{ pattern, want string }{
		{"POST /2015-03-31/functions/{name}/invocations", "lambda:InvokeFunction"},
		{"GET /2015-03-31/functions/{name}", "lambda:GetFunction"},
		{"POST /2015-03-31/functions/{$}", "lambda:CreateFunction"},
		{"GET /2015-03-31/event-source-mappings/{uuid}", "lambda:GetEventSourceMapping"},
		{"POST /2015-03-31/event-source-mappings/{$}", "lambda:CreateEventSourceMapping"},
		{"PUT /2019-09-30/functions/{name}/provisioned-concurrency", "lambda:PutProvisionedConcurrencyConfig"},
		{"GET /2019-09-25/functions/{name}/event-invoke-config/list", "lambda:ListFunctionEventInvokeConfigs"},
		{"GET /v1/functions/{name}/logs", "updraft:GET /v1/functions/{name}/logs"},
	} {
		if got := RESTAction(c.pattern); got != c.want {
			t.Errorf("RESTAction(%q) = %q, want %q", c.pattern, got, c.want)
		}
	}
}
