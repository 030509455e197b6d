package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/modalc/modalc"
	"github.com/modalc/modalc/emit"
	"github.com/modalc/modalc/lower"
	"github.com/modalc/modalc/validate"
	"github.com/spf13/cobra"
)

// diagFlags are the flags every command that runs the pipeline shares.
type diagFlags struct {
	quiet   bool
	strict  bool
	ignore  []string
	errorOn []string
	format  string
	python  string
}

func (f *diagFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	if cmd.Name() == "plan" {
		fl.BoolVarP(&f.quiet, "quiet", "q", false, "print diagnostics only, no plan (for pre-commit hooks and CI)")
	}
	fl.BoolVar(&f.strict, "strict", false, "treat warnings as errors (exit 1)")
	fl.StringArrayVar(&f.ignore, "ignore", nil, "drop diagnostics with this `CODE` (repeatable)")
	fl.StringArrayVar(&f.errorOn, "error", nil, "report diagnostics with this `CODE` as errors (repeatable)")
	fl.StringVar(&f.format, "format", "text", "diagnostics format on stderr: text or github (workflow annotations)")
	fl.StringVar(&f.python, "python", "", "Python version of Modal's default image (default 3.12)")
}

// options checks the flags and turns them into pipeline options.
func (f *diagFlags) options() (modalc.Options, error) {
	sev := validate.Severities{Strict: f.strict, Override: map[validate.Code]validate.Severity{}}
	for _, list := range []struct {
		codes []string
		sev   validate.Severity
	}{{f.ignore, 0}, {f.errorOn, validate.SevError}} {
		for _, arg := range list.codes {
			for _, c := range strings.Split(arg, ",") {
				code := validate.Code(strings.ToUpper(strings.TrimSpace(c)))
				if _, ok := validate.Lookup(code); !ok {
					return modalc.Options{}, &exitError{exitUsage, fmt.Sprintf("unknown diagnostic code %q (modalc explain lists them)", c)}
				}
				sev.Override[code] = list.sev
			}
		}
	}
	if f.format != "text" && f.format != "github" {
		return modalc.Options{}, &exitError{exitUsage, fmt.Sprintf("unknown --format %q: want text or github", f.format)}
	}
	return modalc.Options{Severities: sev, Python: f.python}, nil
}

func newPlanCmd() *cobra.Command {
	var f diagFlags
	var listContext bool
	cmd := &cobra.Command{
		Use:   "plan [PATH...]",
		Short: "Check compose files or Dockerfiles and print the sandbox plan as JSON",
		Long: `plan reads each PATH (a compose file, a Dockerfile, or a directory; default: the
current directory), checks it, and prints what Modal would be asked for as JSON on
stdout: one object for one input, an array for several, in argument order. No
account and no network are needed.

Diagnostics go to stderr as file:line:col: severity[CODE]: message. With any error
no plan is printed.

Exit status: 0 no errors, 1 errors (warnings too with --strict), 2 usage or I/O failure.`,
		Example: `  modalc plan compose.yaml
  modalc plan -q examples/*/            # a pre-commit hook: diagnostics only
  modalc plan --ignore MC303 --strict .`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			results, errs := modalc.PlanAll(cmd.Context(), args, opts)
			stderr := cmd.ErrOrStderr()
			var plans []emit.Plan
			failed, ioFailed := false, false
			for i, r := range results {
				if errors.Is(errs[i], lower.ErrNotLowerable) {
					// --ignore dropped an error that the pipeline cannot go past.
					fmt.Fprintf(stderr, "modalc: %s: %s\n", args[i], notPlanned)
					failed = true
					continue
				}
				if errs[i] != nil {
					fmt.Fprintf(stderr, "modalc: %s\n", ioMessage(args[i], errs[i]))
					ioFailed = true
					continue
				}
				render(stderr, f.format, r.Diagnostics)
				if r.Diagnostics.HasErrors() {
					failed = true
					continue
				}
				if r.Plan == nil {
					// An input error (the file could not be read) was
					// dropped with --ignore: there is nothing to plan.
					fmt.Fprintf(stderr, "modalc: %s: %s\n", args[i], notPlanned)
					failed = true
					continue
				}
				plans = append(plans, *r.Plan)
			}
			if listContext && !f.quiet && !failed && !ioFailed {
				writeContext(cmd.OutOrStdout(), args, results)
			} else if !f.quiet && !failed && !ioFailed {
				out, err := emit.Marshal(plans)
				if err != nil {
					return &exitError{exitUsage, err.Error()}
				}
				cmd.OutOrStdout().Write(out)
			}
			switch {
			case ioFailed:
				return &exitError{code: exitUsage}
			case failed:
				return &exitError{code: exitDiags}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&listContext, "context", false, "print the files each Dockerfile build uploads (size in bytes, path), one per line, instead of the plan")
	return cmd
}

// notPlanned explains an input with no plan and no error left to show.
const notPlanned = "cannot be planned: an error dropped with --ignore stops it"

// ioMessage says why an input could not be read, without a Go error chain.
func ioMessage(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s: %v", path, pe.Err)
	}
	return fmt.Sprintf("%s: %v", path, err)
}
