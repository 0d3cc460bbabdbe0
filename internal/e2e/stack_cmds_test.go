package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// stackoutput STACK KEY WANT fetches the URL in stack STACK's output KEY
// and checks that the reply's body holds WANT (as a user pasting the URL
// `updraft deploy --template` printed would).
func cmdStackOutput(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: stackoutput STACK KEY WANT")
	}
	key, err := os.ReadFile(filepath.Join(ts.Getenv("UPDRAFT_DATA_DIR"), "admin.key"))
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := apiclient.New(ts.Getenv("UPDRAFT_ENDPOINT"), strings.TrimSpace(string(key))).GetStack(ctx, args[0])
	ts.Check(err)
	url := s.Output(args[1])
	if url == "" {
		ts.Fatalf("stack %s has no output %s: %+v", args[0], args[1], s.Outputs)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	ts.Check(err)
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := resp.StatusCode == 200 && strings.Contains(string(body), args[2])
	if got == neg {
		ts.Fatalf("GET %s: %d %s (want %q: %v)", url, resp.StatusCode, body, args[2], !neg)
	}
}
