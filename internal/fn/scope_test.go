package fn

import "testing"

func TestScopeAllows(t *testing.T) {
	for _, c := range []struct {
		scope, action string
		want          bool
	}{
		{ScopeRead, "lambda:GetFunction", true},
		{ScopeRead, "updraft:GET /v1/functions/{name}/logs", true},
		{ScopeRead, "lambda:CreateFunction", false},
		{ScopeRead, "updraft:POST /v1/functions", false},
		{ScopeRead, "s3:GetObject", true},
		{ScopeRead, "s3:PutObject", false},
		{ScopeRead, "dynamodb:Query", true},
		{ScopeRead, "updraft:GET /v1/backup", false},
		{ScopeRead, "updraft:GET /v1/keys", false},
		{ScopeInvoke, "lambda:InvokeFunction", true},
		{ScopeInvoke, "updraft:GET /v1/functions/{name}/logs", false},
		{ScopeInvoke, "lambda:GetFunction", false},
		{ScopeDeploy, "lambda:CreateFunction", true},
		{ScopeDeploy, "updraft:POST /v1/keys", false},
		{ScopeDeploy, "updraft:GET /v1/keys", false},
		{ScopeDeploy, "updraft:DELETE /v1/tenants/{name}", false},
		{ScopeAdmin, "updraft:POST /v1/keys", true},
		{"", "lambda:GetFunction", false},
	} {
		if got := ScopeAllows(c.scope, c.action); got != c.want {
			t.Errorf("ScopeAllows(%q, %q) = %v, want %v", c.scope, c.action, got, c.want)
		}
	}
}
