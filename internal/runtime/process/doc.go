// Package process runs function instances as OS processes that speak the AWS
// Lambda Runtime API, so unmodified aws-lambda-go functions, Updraft's Python
// and Node runtime clients (package bootstrap) and any custom `bootstrap`
// executable work as they do on Lambda.
//
// One Runtime owns one HTTP server on 127.0.0.1 that serves the Runtime API
// for all of its instances (api.go), built on fasthttp (apiserver.go says
// why); a sandboxed instance's own listener is served by the same server. Each instance gets an unguessable token
// as a path prefix in AWS_LAMBDA_RUNTIME_API (127.0.0.1:PORT/<token>);
// requests with an unknown token get a bare 404, so no other local process
// can read or answer an instance's events.
//
// An instance (instance.go) is one process group, started without a shell in
// a scrubbed environment (exec.go), its stdout and stderr merged into one
// pipe. In the sandbox's mount namespace it finds its code at /var/task (its
// cwd and LAMBDA_TASK_ROOT) and the runtime clients at /var/runtime, as on
// Lambda, so __file__ and stack traces show /var/task/…; without a sandbox
// (serve --no-sandbox) it sees the platform's own paths. Per instance there are two goroutines: the pipe's reader (logs.go)
// and a waiter that notices the exit through a pidfd in the netpoller, kills
// what is left of the group while the leader is still a zombie (so its pgid
// cannot have been reused), then reaps it. Invoke (invoke.go) adds no
// goroutine: it hands the event to the pending GET /next over a channel and
// waits for the result, the exit or the deadline, then cuts the log — see
// logPipe for why that cut is exact.
//
// Stem cells (stem.go) take most of a Python or Node cold start off the
// call's path: Config.StemCells interpreters per runtime are started ahead,
// in their sandbox, running the ordinary runtime client, which waits for a
// function instead of importing one. A cold start that fits (no start-up
// environment of its own, the default /tmp, a network) mounts the code into
// a ready stem, sets its cgroup limits, hands it the function's environment
// and waits for its first GET /next; Init Duration then covers only that.
// Each taken stem is replaced in the background.
//
// An instance in a network namespace of its own (the sandbox's default
// isolated network, or network: none) finds the Runtime API and the
// platform's endpoint on listeners inside it (sandbox.RuntimeAPIAddr,
// sandbox.EndpointAddr): the instance serves the one with the shared
// server's handler and forwards the other (proxy.go); its environment
// names those addresses (exec.go: ownNetwork). A stem's endpoint is
// forwarded once it has its function. See docs/NETWORK.md.
//
// Node runs with --max-old-space-size at 80% of the function's memory
// (nodeHeapFlag): the sandbox's minimal root has no /sys, from which Node
// would read its cgroup's limit. A stem starts without it (its memory is
// not known yet), bounded by its cgroup alone.
package process
