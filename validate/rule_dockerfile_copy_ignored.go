package validate

import "strings"

var ruleDockerfileCopyIgnored = &Rule{
	Code: "MC403", Severity: SevError, Title: "COPY or ADD source excluded by .dockerignore",
	Explain: "Every file a COPY or ADD source names is excluded by the ignore file (<Dockerfile>.dockerignore beside " +
		"the Dockerfile, else .dockerignore at the root of the build context). Excluded files are not part of the " +
		"build context, so the build fails at that line as if they did not exist (docker's CopyIgnoredFile check). " +
		"Remove the pattern that excludes them, add a !pattern after it, or stop copying them.",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			m := b.Manifest
			if m == nil || m.Ignore == nil {
				continue
			}
			for _, s := range m.Sources {
				if s.Remote || s.Matched == 0 || s.Files > 0 || s.Ignored == 0 {
					continue
				}
				d := c.Report(s.Span, "", "%s source %q names only files that %s excludes", strings.ToUpper(s.Cmd), s.Written, m.Ignore.Path)
				if p := s.IgnoredBy; p != nil && p.Line > 0 {
					d.Hintf("%s:%d excludes it (%q): remove that line, or add !%s after it", m.Ignore.Path, p.Line, p.Pattern, s.Path)
				} else {
					d.Hintf("add !%s to %s, or stop copying it", s.Path, m.Ignore.Path)
				}
			}
		}
	},
}
