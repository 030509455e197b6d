package validate

import "strings"

var ruleDockerfileSymlink = &Rule{
	Code: "MC404", Severity: SevError, Title: "symlink leaves the build context",
	Explain: "A path the Dockerfile copies is, or goes through, a symlink whose target is outside the build context " +
		"directory. docker does not follow it out of the context (the build fails or copies a dangling link), and an " +
		"uploader that follows links would send a file from outside the directory the compose file names: modalc " +
		"reads nothing outside the context. Copy the target into the context, or replace the link with the file.",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			if b.Manifest == nil {
				continue
			}
			for _, e := range b.Manifest.Escapes {
				s := b.Manifest.Sources[e.Source]
				c.Report(s.Span, "", "%s source %q reaches symlink %s, which points outside the build context %s (to %s)",
					strings.ToUpper(s.Cmd), s.Written, e.Path, dirName(b.ContextPath), e.Target).
					Hintf("copy the target into %s, or replace the link with the file", dirName(b.ContextPath))
			}
		}
	},
}
