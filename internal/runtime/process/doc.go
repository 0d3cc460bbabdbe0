// Package process runs function instances as OS processes that speak the AWS
// Lambda Runtime API, so unmodified aws-lambda-go functions, Updraft's Python
// and Node runtime clients (package bootstrap) and any custom `bootstrap`
// executable work as they do on Lambda.
//
// One Runtime owns one HTTP server on 127.0.0.1 that serves the Runtime API
// for all of its instances. Each instance gets an unguessable token as a path
// prefix in AWS_LAMBDA_RUNTIME_API (127.0.0.1:PORT/<token>); requests with an
// unknown token get a bare 404, so no other local process can read or answer
// an instance's events.
//
// An instance is one process group started without a shell in a scrubbed
// environment, its stdout and stderr merged into one pipe. A reader goroutine
// per instance drains that pipe; at the end of each invocation the invoker
// synchronises with it (see logs.go) so that everything the function printed
// before it posted its result is in that invocation's Response.Logs.
package process
