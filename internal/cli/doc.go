// Package cli implements the updraft command line: one file per subcommand,
// root.go for the global flags (--endpoint, --api-key, --output) and the
// helpers they share. Main is the whole program, so every command runs
// in-process in tests.
//
// Exit codes: 0 ok, 1 the operation failed (the server said no, the
// function failed, a file was missing), 2 the command line was wrong.
package cli
