// Package e2e holds Updraft's end-to-end scenarios: testscript files under
// testdata/ that start `updraft serve` for real (embedded NATS, real function
// processes, HTTP on 127.0.0.1) and drive it with the CLI the way a user
// types it.
package e2e
