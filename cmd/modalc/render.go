package main

import (
	"io"

	"github.com/modalc/modalc/validate"
)

// render writes diagnostics to w in the chosen format.
func render(w io.Writer, format string, ds validate.Diagnostics) {
	if format == "github" {
		ds.WriteGitHub(w)
		return
	}
	ds.WriteText(w)
}
