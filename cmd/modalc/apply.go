package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/modalc/modalc/internal/cli"
	"github.com/spf13/cobra"
)

// applyBinary is the program `modalc apply` runs, as git runs git-NAME and
// kubectl its plugins: the Modal SDK lives there, so that plan starts fast.
const applyBinary = "modalc-apply"

func newApplyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "apply [PATH]",
		Short: "Plan a compose file or Dockerfile, then create the sandbox(es) on Modal",
		Long: `apply runs the same pipeline as plan on PATH, stops before any Modal call if there is
an error, then creates the sandbox(es). It is the program modalc-apply, found beside
modalc or on PATH (go install github.com/modalc/modalc/cmd/... installs both);
run 'modalc apply --help' for its flags.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			bin, err := findApply()
			if err != nil {
				return &cli.ExitError{Code: cli.ExitUsage, Msg: err.Error()}
			}
			return runApply(bin, args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

// findApply looks for modalc-apply beside this program, then on PATH.
func findApply() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), applyBinary)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(applyBinary); err == nil {
		return p, nil
	}
	return "", errors.New("modalc apply needs the modalc-apply program, beside modalc or on PATH: " +
		"go install github.com/modalc/modalc/cmd/... (from a checkout: go run ./cmd/modalc-apply)")
}

// runApply runs modalc-apply with args and the same streams, passes it
// SIGINT and SIGTERM (it cleans up, then exits 130), and exits as it does.
func runApply(bin string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := exec.Command(bin, args...)
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return &cli.ExitError{Code: cli.ExitUsage, Msg: fmt.Sprintf("%s: %v", bin, err)}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				c.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := c.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if code < 0 { // killed by a signal it did not handle
			code = cli.ExitInterrupt
		}
		return &cli.ExitError{Code: code}
	}
	if err != nil {
		return &cli.ExitError{Code: cli.ExitUsage, Msg: err.Error()}
	}
	return nil
}
