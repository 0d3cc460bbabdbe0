// Package bench measures Updraft against a same-run baseline and prints one
// JSON line per figure (name, value, unit, and where a baseline applies,
// baseline and ratio). `make bench` runs it. Timings on shared 2-core
// machines are noisy, so every latency and throughput figure is paired with
// a plain Go HTTP server returning the same bytes, measured in the same run
// with the same load generator.
package bench
