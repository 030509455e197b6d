package main

import (
	"io"

	"github.com/modalc/modalc/internal/cli"
	"github.com/spf13/cobra"
)

// run is modalc's main, with its streams: testscript and tests call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Execute(newRoot(), args, stdin, stdout, stderr)
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "modalc",
		Short: "Compile Docker Compose files to Modal Sandboxes",
		Long: `modalc compiles a Docker Compose file (or a Dockerfile) to a Modal Sandbox.

It tells you before a run whether the file translates — a second service, a typo in
x-modal, mem_limit: 512 meaning 512 bytes, a user: the sandbox ignores — with file,
line and column; shows the exact plan; launches it; and cleans up after it.`,
	}
	root.AddCommand(newPlanCmd(), newApplyCmd(), newSchemaCmd(), newExplainCmd())
	return root
}
