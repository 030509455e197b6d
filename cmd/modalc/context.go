package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/modalc/modalc"
)

// writeContext prints, for `plan --context`, the build context manifest
// of each input: one file per line, its size in bytes right-aligned, then
// its path relative to the build context. With several inputs, each list
// starts with a "# PATH" line; an input without a Dockerfile build prints
// that line alone.
func writeContext(w io.Writer, args []string, results []*modalc.Result) {
	for i, r := range results {
		if len(results) > 1 {
			fmt.Fprintf(w, "# %s\n", args[i])
		}
		if r == nil || r.Source == nil || r.Source.Build == nil || r.Source.Build.Manifest == nil {
			continue
		}
		entries := r.Source.Build.Manifest.Entries
		width := 1
		for _, e := range entries {
			width = max(width, len(strconv.FormatInt(e.Size, 10)))
		}
		for _, e := range entries {
			fmt.Fprintf(w, "%*d  %s\n", width, e.Size, e.Path)
		}
	}
}
