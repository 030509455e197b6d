package main

import (
	"fmt"
	"github.com/modalc/modalc/internal/cli"
	"strings"

	"github.com/modalc/modalc/validate"
	"github.com/spf13/cobra"
)

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain [CODE]",
		Short: "Explain a diagnostic code, or list them all",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if len(args) == 0 {
				for _, r := range validate.Rules {
					fmt.Fprintf(out, "%s  %-7s  %s\n", r.Code, r.Severity, r.Title)
				}
				return nil
			}
			r, ok := validate.Lookup(validate.Code(strings.ToUpper(args[0])))
			if !ok {
				return &cli.ExitError{Code: cli.ExitUsage, Msg: fmt.Sprintf("unknown diagnostic code %q (modalc explain lists them)", args[0])}
			}
			fmt.Fprintf(out, "%s (%s): %s\n\n%s\n", r.Code, r.Severity, r.Title, r.Explain)
			return nil
		},
	}
}
