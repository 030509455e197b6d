// Command baseline loads compose files with compose-go and nothing else: the
// yardstick bench/run.sh holds `modalc plan -q` against. It loads each FILE
// argument in turn, in one process, and prints nothing; the exit status is 1
// when any file failed to load.
//
// The options are those a plain compose-go user would pass to load one file
// the way modalc does (working directory = the file's, .env read, no
// consistency check, the process environment not read), without modalc's
// own work: its YAML position index, the unsupported-attribute check,
// validation, lowering and the plan encoding.
package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/sirupsen/logrus"
)

func main() {
	logrus.SetOutput(io.Discard) // compose-go warns through logrus; print nothing
	ctx := context.Background()
	status := 0
	for _, file := range os.Args[1:] {
		if err := load(ctx, file); err != nil {
			status = 1
		}
	}
	os.Exit(status)
}

func load(ctx context.Context, file string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithName("baseline"),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithConsistency(false),
		cli.WithoutEnvironmentResolution,
	)
	if err != nil {
		return err
	}
	_, err = opts.LoadProject(ctx)
	return err
}
