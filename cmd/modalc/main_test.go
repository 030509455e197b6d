package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/modalc/modalc/internal/applycmd"
	"github.com/modalc/modalc/internal/golden"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes the test binary double as modalc: testscript runs it as
// the "modalc" command of the scripts, through run, as main does.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"modalc": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
		// modalc apply runs it, found on PATH as a user's install has it.
		"modalc-apply": func() { os.Exit(applycmd.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs testdata/script/*.txtar: the CLI as a user sees it
// (arguments, streams, exit status). go test -update rewrites the expected
// sections that a cmp compares against; review the diff as code.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       golden.Update(),
		Cmds:                map[string]func(ts *testscript.TestScript, neg bool, args []string){"jsonvalid": jsonValid},
	})
}

// jsonValid is the script command "jsonvalid FILE": FILE (or stdout,
// stderr) holds exactly one JSON value.
func jsonValid(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: jsonvalid FILE")
	}
	err := json.Unmarshal([]byte(ts.ReadFile(args[0])), new(any))
	switch {
	case err != nil && !neg:
		ts.Fatalf("%s is not valid JSON: %v", args[0], err)
	case err == nil && neg:
		ts.Fatalf("%s is valid JSON", args[0])
	}
}
