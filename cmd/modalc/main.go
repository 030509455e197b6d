// Command modalc compiles Docker Compose files to Modal Sandboxes.
//
//	modalc plan  compose.yaml   # parse → validate → lower → JSON plan; no account, no network
//	modalc apply compose.yaml   # the same pipeline, then live Modal calls
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
