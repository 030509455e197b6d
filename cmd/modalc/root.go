package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK        = 0   // no errors
	exitDiags     = 1   // error diagnostics (or warnings with --strict), or a failed apply
	exitUsage     = 2   // bad flags, unreadable input, I/O failure
	exitInterrupt = 130 // apply interrupted (SIGINT/SIGTERM), after cleaning up
)

// exitError carries an exit code through cobra; its message, if any, has
// not been printed yet.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// run is modalc's main, with its streams: testscript and tests call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "modalc: %s\n", ee.msg)
		}
		return ee.code
	}
	// Anything else is a usage error from cobra (unknown flag, bad args).
	fmt.Fprintf(stderr, "modalc: %v\nRun 'modalc --help' for usage.\n", err)
	return exitUsage
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "modalc",
		Short: "Compile Docker Compose files to Modal Sandboxes",
		Long: `modalc compiles a Docker Compose file (or a Dockerfile) to a Modal Sandbox.

It tells you before a run whether the file translates — a second service, a typo in
x-modal, mem_limit: 512 meaning 512 bytes, a user: the sandbox ignores — with file,
line and column; shows the exact plan; launches it; and cleans up after it.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newPlanCmd(), newApplyCmd(), newSchemaCmd(), newExplainCmd())
	return root
}
