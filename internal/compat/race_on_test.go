//go:build race

package compat

// raceEnabled: the race detector slows large transfers down many times.
const raceEnabled = true
