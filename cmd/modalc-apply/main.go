// Command modalc-apply is `modalc apply`: modalc runs it for that
// subcommand. It is a binary of its own because the Modal SDK it links
// costs every process about 3 ms and 10 MiB at start-up, which modalc plan
// (in pre-commit hooks) should not pay. Install both with
// `go install github.com/modalc/modalc/cmd/...`.
package main

import (
	"os"

	"github.com/modalc/modalc/internal/applycmd"
)

func main() { os.Exit(applycmd.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
