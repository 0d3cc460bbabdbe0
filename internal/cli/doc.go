// Package cli implements the updraft command line: one file per subcommand.
// Main is the whole program, so every command runs in-process in tests.
package cli
