package cli

import (
	"context"
	"fmt"
	"io"
)

// Main runs the updraft command line with args (without the program name)
// and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fmt.Fprintln(stderr, "updraft: not implemented yet")
	return 2
}
