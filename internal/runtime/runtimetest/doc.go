// Package runtimetest is the conformance suite every runtime.Runtime
// implementation passes, as wazero's engine tests run every engine: the
// process runtime now, the Wasm runtime next. A runtime's own test calls Run
// with a Harness that starts the runtime and supplies the fixtures.
//
// A fixture is a function with one behaviour, which each runtime builds in
// its own way (a Go aws-lambda-go bootstrap, a Python or Node.js module, a
// Wasm module). Run asks the Harness for the Spec of each:
//
//	echo       returns its event unchanged (byte for byte for a JSON string)
//	count      returns {"count": N}, N being how many events this instance
//	           has handled, this one included (state survives between calls)
//	error      fails with a handled error: errorType "FixtureError",
//	           errorMessage the event's "message"
//	init-fail  fails while initialising, before it asks for an event
//	sleep      sleeps the event's "ms" milliseconds, then returns {"slept": ms}
//	crash      ends its execution (process exit, trap) in the middle of the
//	           invocation, without answering
//	log        writes each string of the event's "lines" to its log, one a
//	           line, then returns {"lines": N}
//
// What the suite checks: a ready instance answers; a handled error is an
// "Unhandled" FunctionError with Lambda's error JSON and the instance lives
// on; an init failure is a *runtime.InitError; a call past its Deadline is a
// timeout and the instance Broken; a crash is a crash and Broken; logs are
// captured per invocation; InitDuration is positive; sequential calls reuse
// the instance; Close is idempotent and stops the instance; a 6 MB event and
// result make the round trip.
package runtimetest
