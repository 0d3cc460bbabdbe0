package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
)

// checkReport is what daemon.Check returns (a *registry.CheckReport).
type checkReport = interface {
	Damaged() bool
	Lines() []string
	Summary() (dir string, streams int, readBack uint64, baseline string)
}

func newAdminCheckCmd(a *app) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the store for lost or damaged data (server stopped)",
		Long: `Check the store in the data directory, offline, with the server stopped:
every stream's state as JetStream recovered it, every message read back,
the state compared with the one recorded at the last clean stop, and every
code object compared with the sha256 digest it is named by.

It names what is damaged: functions, published versions and API keys by
name (API keys by the first digits of their sha256), code objects by
digest with the functions that use them, async events and other records by
count. It exits 0 when the store is intact and 1 when anything is damaged;
with --output json it prints the full report.

The check changes nothing: the damage stays reported until a server start
accepts it (updraft serve --allow-degraded) or a backup is restored.`,
		Example: `  # stop the server first, then:
  updraft admin check --data-dir /var/lib/updraft

  # in the directory the server runs in (./updraft-data)
  updraft admin check`,
		Args: args(),
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the server's data directory (env UPDRAFT_DATA_DIR, default ./updraft-data)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		cfg := config.Default().FromEnv(a.getenv)
		if dataDir != "" {
			cfg.DataDir = dataDir
		}
		if abs, err := filepath.Abs(cfg.DataDir); err == nil {
			cfg.DataDir = abs
		}
		rep, err := daemon.Check(ctx, cfg)
		if err != nil {
			return err
		}
		if err := a.printCheck(cfg.DataDir, rep); err != nil {
			return err
		}
		if rep.Damaged() {
			return exitCode(1)
		}
		return nil
	})
	return cmd
}

func (a *app) printCheck(dataDir string, rep checkReport) error {
	if a.jsonOutput() {
		return a.printJSON(struct {
			DataDir string `json:"data_dir"`
			Damaged bool   `json:"damaged"`
			Report  any    `json:"report"`
		}{dataDir, rep.Damaged(), rep})
	}
	dir, streams, msgs, baseline := rep.Summary()
	w := a.stdout
	fmt.Fprintf(w, "store %s: %d streams, %d messages read back, compared with the state at %s\n",
		dir, streams, msgs, baselineText(baseline))
	if !rep.Damaged() {
		_, err := fmt.Fprintln(w, "intact: nothing lost or damaged")
		return err
	}
	lines := rep.Lines()
	fmt.Fprintf(w, "DAMAGED: %d findings\n", len(lines))
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
	_, err := fmt.Fprintf(w, "Restore a backup, or start with what is left: updraft serve --data-dir %s --allow-degraded\n", dataDir)
	return err
}

func baselineText(b string) string {
	switch b {
	case "clean stop":
		return "the last clean stop"
	case "last start":
		return "the last start (the server did not stop cleanly after it)"
	}
	return "nothing recorded (only the store's own consistency is checked)"
}
