// Package router is the invoke path, and only that: it resolves the
// function and version (an alias picks its version by its routing
// weights), gets an admitted instance from the scheduler (scheduler.Acquire:
// concurrency, host capacity, the pool), hands the event over, and records
// what happened — START/END/REPORT log lines, the function's output, why the
// platform ended a call (a timeout, the runtime's exit, an out-of-memory
// kill, a failed init: record.go) and the billing record, written after the
// reply is on its way (Finish).
//
// Every event source invokes through fn.Invoker, which the router
// implements; management (deploy, concurrency, provisioning) is control's.
package router
