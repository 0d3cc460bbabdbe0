package fn

import "strings"

// Scopes of keys: what a key may do within its tenant. A key of the
// default tenant with ScopeAdmin is the platform's administrator (tenants,
// every tenant's keys and usage).
const (
	ScopeAdmin  = "admin"  // everything of its tenant, its keys included
	ScopeDeploy = "deploy" // everything of its tenant but keys
	ScopeInvoke = "invoke" // invoke functions (sync and async), nothing else
	ScopeRead   = "read"   // read-only: list, get, describe, logs, usage
)

// Scopes lists the scopes, widest first.
var Scopes = []string{ScopeAdmin, ScopeDeploy, ScopeInvoke, ScopeRead}

// ValidateScope checks a scope name ("" is not one).
func ValidateScope(s string) error {
	for _, v := range Scopes {
		if s == v {
			return nil
		}
	}
	return InvalidParameter("scope %q is not one of %s", s, strings.Join(Scopes, ", "))
}

// readVerbs start the operations that change nothing.
var readVerbs = []string{"Get", "List", "Describe", "Head", "Query", "Scan", "BatchGet", "TransactGet"}

// invokeActions are what an invoke key may do.
var invokeActions = map[string]bool{
	"lambda:invokefunction": true, "lambda:invokeasync": true, "lambda:invokefunctionurl": true,
}

// adminOnly are the actions only admin keys may do: key management.
func adminOnly(action string) bool {
	a := strings.ToLower(action)
	return strings.HasPrefix(a, "updraft:") && (strings.Contains(a, " /v1/keys") || strings.Contains(a, " /v1/tenants") || strings.Contains(a, " /v1/backup"))
}

// ScopeAllows reports whether a key of scope may do action: an AWS-style
// action ("s3:GetObject", "lambda:InvokeFunction") or a management one
// ("updraft:GET /v1/functions/{name}/logs"). Which tenant's resources it
// may touch is decided elsewhere (always its own, except the platform
// admin for /v1/tenants).
func ScopeAllows(scope, action string) bool {
	switch scope {
	case ScopeAdmin:
		return true
	case ScopeDeploy:
		return !adminOnly(action)
	case ScopeInvoke:
		return invokeActions[strings.ToLower(action)] || isInvokeRoute(action)
	case ScopeRead:
		return isRead(action) && !adminOnly(action)
	}
	return false
}

func isInvokeRoute(action string) bool {
	a := strings.ToLower(action)
	return strings.HasPrefix(a, "updraft:post ") && strings.HasSuffix(a, "/invoke")
}

func isRead(action string) bool {
	if rest, ok := strings.CutPrefix(action, "updraft:"); ok {
		return strings.HasPrefix(rest, "GET ") && !strings.Contains(rest, " /v1/backup")
	}
	_, op, ok := strings.Cut(action, ":")
	if !ok {
		return false
	}
	for _, v := range readVerbs {
		if strings.HasPrefix(op, v) {
			return true
		}
	}
	return false
}
