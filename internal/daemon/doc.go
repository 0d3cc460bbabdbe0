// Package daemon wires Updraft together: it builds the components in order
// (store, registry, deploy, logs, meter, sandbox and runtimes, pool,
// scheduler, router, control, async, gateway), starts them, and closes them
// in reverse. It holds no logic of its own.
package daemon
