package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/modalc/modalc/validate"
)

// render writes diagnostics to w in the chosen format.
func render(w io.Writer, format string, ds validate.Diagnostics) {
	for _, d := range ds {
		switch format {
		case "github":
			fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", githubLevel(d.Severity),
				ghProp(d.Span.File), d.Span.Start.Line, d.Span.Start.Column, d.Code, ghData(withHint(d)))
		default:
			fmt.Fprintln(w, d.String())
			if d.Hint != "" {
				fmt.Fprintf(w, "    hint: %s\n", d.Hint)
			}
		}
	}
}

func withHint(d validate.Diagnostic) string {
	if d.Hint == "" {
		return d.Message
	}
	return d.Message + "\n" + d.Hint
}

func githubLevel(s validate.Severity) string {
	switch s {
	case validate.SevError:
		return "error"
	case validate.SevWarning:
		return "warning"
	}
	return "notice"
}

// GitHub workflow commands escape %, CR and LF in data, and also : and , in
// properties.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
