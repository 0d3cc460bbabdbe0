// Package bootstrap holds the runtime clients Updraft runs for its managed
// interpreted runtimes: bootstrap.py for python3 and bootstrap.js for node.
// Each speaks the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API, loads the
// function's handler ($_HANDLER) from $LAMBDA_TASK_ROOT, and reports results
// and errors with the JSON shapes and error types of AWS Lambda's own
// runtimes (Runtime.ImportModuleError, Runtime.HandlerNotFound, …), so code
// written for Lambda runs unchanged.
//
// Both use only their language's standard library and import as little as
// possible before asking for the first event: their start-up time is the
// function's cold start. The process runtime writes them to a directory and
// starts them as /usr/bin/python3 -u DIR/bootstrap.py or /usr/bin/node
// DIR/bootstrap.js with the function's code as the working directory.
package bootstrap
