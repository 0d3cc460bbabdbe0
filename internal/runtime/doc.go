// Package runtime defines what the pool needs from a function runtime: a
// Runtime starts Instances of one function version, and an Instance runs one
// invocation at a time. Implementations live in sub-packages (process for OS
// processes speaking the Lambda Runtime API); every implementation passes
// the conformance suite in runtimetest.
package runtime
