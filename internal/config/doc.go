// Package config holds Updraft's one validated configuration: defaults that
// run on one machine, overridden by environment variables and flags.
package config
