package validate

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes ds as modalc prints them: file:line:col: severity[CODE]:
// message, then an indented hint line where there is one.
func (ds Diagnostics) WriteText(w io.Writer) error {
	for _, d := range ds {
		if _, err := fmt.Fprintln(w, d.String()); err != nil {
			return err
		}
		if d.Hint != "" {
			if _, err := fmt.Fprintf(w, "    hint: %s\n", d.Hint); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteGitHub writes ds as GitHub Actions workflow commands, which annotate
// the lines of a pull request.
func (ds Diagnostics) WriteGitHub(w io.Writer) error {
	for _, d := range ds {
		msg := d.Message
		if d.Hint != "" {
			msg += "\n" + d.Hint
		}
		_, err := fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", githubLevel(d.Severity),
			ghProp(d.Span.File), d.Span.Start.Line, d.Span.Start.Column, d.Code, ghData(msg))
		if err != nil {
			return err
		}
	}
	return nil
}

func githubLevel(s Severity) string {
	switch s {
	case SevError:
		return "error"
	case SevWarning:
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
