package main

import (
	"fmt"

	"github.com/modalc/modalc"
	"github.com/modalc/modalc/emit"
	"github.com/modalc/modalc/internal/cli"
	"github.com/spf13/cobra"
)

func newPlanCmd() *cobra.Command {
	var f cli.DiagFlags
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
			opts, err := f.Options()
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
				if errs[i] != nil {
					fmt.Fprintf(stderr, "modalc: %s\n", cli.IOMessage(args[i], errs[i]))
					ioFailed = true
					continue
				}
				cli.Render(stderr, f.Format, r.Diagnostics)
				if r.Diagnostics.HasErrors() {
					failed = true
					continue
				}
				plans = append(plans, *r.Plan)
			}
			if listContext && !f.Quiet && !failed && !ioFailed {
				writeContext(cmd.OutOrStdout(), args, results)
			} else if !f.Quiet && !failed && !ioFailed {
				out, err := emit.Marshal(plans)
				if err != nil {
					return &cli.ExitError{Code: cli.ExitUsage, Msg: err.Error()}
				}
				cmd.OutOrStdout().Write(out)
			}
			switch {
			case ioFailed:
				return &cli.ExitError{Code: cli.ExitUsage}
			case failed:
				return &cli.ExitError{Code: cli.ExitDiags}
			}
			return nil
		},
	}
	f.Register(cmd, true)
	cmd.Flags().BoolVar(&listContext, "context", false, "print the files each Dockerfile build uploads (size in bytes, path), one per line, instead of the plan")
	return cmd
}
