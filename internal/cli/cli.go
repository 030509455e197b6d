// Package cli holds what modalc's commands share: exit codes, the error
// that carries one through cobra, the diagnostics flags and their
// rendering. It links no Modal SDK: the plan binary stays small and quick
// to start (see cmd/modalc-apply).
package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/modalc/modalc"
	"github.com/modalc/modalc/validate"
	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK        = 0   // no errors
	ExitDiags     = 1   // error diagnostics (or warnings with --strict), or a failed apply
	ExitUsage     = 2   // bad flags, unreadable input, I/O failure
	ExitInterrupt = 130 // apply interrupted (SIGINT/SIGTERM), after cleaning up
)

// An ExitError carries an exit code through cobra; its message, if any,
// has not been printed yet.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return e.Msg }

// Execute runs root with args and returns the exit code, printing an
// unprinted error once, as "modalc: message".
func Execute(root *cobra.Command, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Msg != "" {
			fmt.Fprintf(stderr, "modalc: %s\n", ee.Msg)
		}
		return ee.Code
	}
	// Anything else is a usage error from cobra (unknown flag, bad args).
	fmt.Fprintf(stderr, "modalc: %v\nRun 'modalc --help' for usage.\n", err)
	return ExitUsage
}

// DiagFlags are the flags every command that runs the pipeline shares.
type DiagFlags struct {
	Quiet   bool
	Strict  bool
	Ignore  []string
	ErrorOn []string
	Format  string
	Python  string
}

// Register adds the flags to cmd; quiet (-q) only where there is a plan to
// leave out.
func (f *DiagFlags) Register(cmd *cobra.Command, quiet bool) {
	fl := cmd.Flags()
	if quiet {
		fl.BoolVarP(&f.Quiet, "quiet", "q", false, "print diagnostics only, no plan (for pre-commit hooks and CI)")
	}
	fl.BoolVar(&f.Strict, "strict", false, "treat warnings as errors (exit 1)")
	fl.StringArrayVar(&f.Ignore, "ignore", nil, "drop diagnostics with this `CODE` (repeatable; warnings and infos only)")
	fl.StringArrayVar(&f.ErrorOn, "error", nil, "report diagnostics with this `CODE` as errors (repeatable)")
	fl.StringVar(&f.Format, "format", "text", "diagnostics format on stderr: text or github (workflow annotations)")
	fl.StringVar(&f.Python, "python", "", "Python version of Modal's default image (default 3.12)")
}

// Options checks the flags and turns them into pipeline options.
func (f *DiagFlags) Options() (modalc.Options, error) {
	sev := validate.Severities{Strict: f.Strict, Override: map[validate.Code]validate.Severity{}}
	for _, list := range []struct {
		codes []string
		sev   validate.Severity
	}{{f.Ignore, 0}, {f.ErrorOn, validate.SevError}} {
		for _, arg := range list.codes {
			for _, c := range strings.Split(arg, ",") {
				sev.Override[validate.Code(strings.ToUpper(strings.TrimSpace(c)))] = list.sev
			}
		}
	}
	if err := sev.Check(); err != nil {
		return modalc.Options{}, &ExitError{Code: ExitUsage, Msg: err.Error()}
	}
	if f.Format != "text" && f.Format != "github" {
		return modalc.Options{}, &ExitError{Code: ExitUsage, Msg: fmt.Sprintf("unknown --format %q: want text or github", f.Format)}
	}
	return modalc.Options{Severities: sev, Python: f.Python}, nil
}

// Render writes diagnostics to w in the chosen format.
func Render(w io.Writer, format string, ds validate.Diagnostics) {
	if format == "github" {
		ds.WriteGitHub(w)
		return
	}
	ds.WriteText(w)
}

// IOMessage says why an input could not be read, without a Go error chain.
func IOMessage(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s: %v", path, pe.Err)
	}
	return fmt.Sprintf("%s: %v", path, err)
}
