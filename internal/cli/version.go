package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is the release version, set at build time with
// -ldflags "-X github.com/updraft-dev/updraft/internal/cli.Version=v1.2.3";
// otherwise it comes from the module's build info.
var Version = ""

func newVersionCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of this updraft binary",
		Long: `Print the version of this updraft binary, the commit it was built from
(when known) and the Go version, OS and architecture. It does not contact
the server.`,
		Example: `  updraft version
  updraft version -o json`,
		Args: args(),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		v := buildVersion()
		if a.jsonOutput() {
			return a.printJSON(v)
		}
		commit := ""
		if v.Commit != "" {
			commit = "commit " + v.Commit + ", "
		}
		_, err := fmt.Fprintf(a.stdout, "updraft %s (%s%s %s/%s)\n", v.Version, commit, v.Go, v.OS, v.Arch)
		return err
	})
	return cmd
}

type versionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func buildVersion() versionInfo {
	v := versionInfo{Version: Version, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if v.Version == "" {
			v.Version = "dev"
		}
		return v
	}
	if v.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v.Version = info.Main.Version
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
			if len(v.Commit) > 12 {
				v.Commit = v.Commit[:12]
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && v.Commit != "" {
		v.Commit += "+dirty"
	}
	return v
}
