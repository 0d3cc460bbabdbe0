package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Main runs the updraft command line with args (without the program name)
// and returns the process exit code: 0 ok, 1 the operation failed, 2 the
// command line was wrong. It writes only to stdout and stderr and reads the
// environment only through getenv.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := newRootCmd(a)
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code) // the command has said what went wrong
	}
	var f *failure
	if errors.As(err, &f) {
		fmt.Fprintf(stderr, "updraft: %v\n", f.err)
		if h := a.hint(f.err); h != "" {
			fmt.Fprintf(stderr, "hint: %s\n", h)
		}
		return 1
	}
	// Anything cobra rejected, and every usageError: a wrong command line.
	fmt.Fprintf(stderr, "updraft: %v\n", err)
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return 2
}
