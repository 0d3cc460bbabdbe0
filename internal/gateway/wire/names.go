package wire

import (
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Lambda accepts a function by name, name:qualifier, partial ARN
// (ACCOUNT:function:NAME[:QUALIFIER]) or full ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]). Updraft does
// the same, with the tenant's account id (fn.AccountID) as ACCOUNT. Any
// region is accepted, as SDKs build ARNs with their own.

// FunctionName returns the name and qualifier of s, a FunctionName in any
// of Lambda's forms. CheckName validates what it returns.
func FunctionName(s string) (name, qualifier string) {
	if _, rest, ok := SplitARN(s); ok {
		s = rest
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// SplitARN splits a full or partial function ARN into its account and
// what follows "function:"; ok is false when s is neither.
func SplitARN(s string) (account, rest string, ok bool) {
	if strings.HasPrefix(s, "arn:") {
		parts := strings.SplitN(s, ":", 7)
		if len(parts) < 7 || parts[2] != "lambda" || parts[5] != "function" {
			return "", "", false
		}
		return parts[4], parts[6], true
	}
	account, rest, found := strings.Cut(s, ":function:")
	if !found || !fn.IsAccountID(account) {
		return "", "", false
	}
	return account, rest, true
}

// CheckName validates name, taken from raw (a name or an ARN). An ARN must
// carry the caller's account id: another tenant's function is not found
// (404, as if it did not exist: nothing says whether it does).
func CheckName(raw, name, tenant string) error {
	if strings.HasPrefix(raw, "arn:") || strings.Contains(raw, ":function:") {
		account, _, ok := SplitARN(raw)
		if !ok {
			return fn.InvalidParameter("%q is not a function ARN: use arn:aws:lambda:%s:%s:function:NAME, or the function's name", raw, fn.Region, fn.AccountID(tenant))
		}
		if !fn.IsAccountID(account) {
			return fn.InvalidParameter("the account in %q is %q: an account id is 12 digits (yours is %s)", raw, account, fn.AccountID(tenant))
		}
		if account != fn.AccountID(tenant) {
			return fn.NotFound("Function not found: %s", raw)
		}
	}
	return fn.ValidateName(name)
}
