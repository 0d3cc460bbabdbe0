// Package router runs an invocation end to end: it resolves the function and
// version, leases an instance from the pool, hands the event over, and
// records what happened — START/END/REPORT log lines, the function's output
// and the billing record.
//
// Today every call runs locally on $LATEST; alias weights and forwarding to
// another node hang off Invoke as those land.
package router
