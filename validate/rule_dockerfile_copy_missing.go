package validate

import (
	"fmt"
	"strings"
)

var ruleDockerfileCopyMissing = &Rule{
	Code: "MC402", Severity: SevError, Title: "COPY or ADD source matches nothing",
	Explain: "A COPY or ADD source names a path (or a wildcard pattern) that no file of the build context matches, " +
		"so the build fails at that line, in docker as on Modal. Sources are relative to the build context directory " +
		"(a leading / or ../ stays inside it), after ARG, ENV and build.args values are substituted as BuildKit " +
		"does; a variable that none of them sets is empty.",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			if b.Manifest == nil {
				continue
			}
			for _, s := range b.Manifest.Sources {
				if s.Remote || s.Matched > 0 {
					continue
				}
				what := fmt.Sprintf("%q", s.Written)
				if s.Path != s.Written {
					what += fmt.Sprintf(" (%s)", s.Path)
				}
				verb := "does not exist in"
				if hasGlob(s.Path) {
					verb = "matches no file of"
				}
				d := c.Report(s.Span, "", "%s source %s %s the build context %s", strings.ToUpper(s.Cmd), what, verb, dirName(b.ContextPath))
				if len(s.Unset) > 0 {
					d.Hintf("no ARG, ENV or build arg sets %s: it expands to an empty string", joinVars(s.Unset))
				} else {
					d.Hintf("sources are relative to the build context %s", dirName(b.ContextPath))
				}
			}
		}
	},
}

func hasGlob(p string) bool { return strings.ContainsAny(p, `*?[`) }

func joinVars(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "$" + n
	}
	return strings.Join(out, ", ")
}

// dirName shows a directory as one: "./", "ctx/".
func dirName(p string) string {
	if p == "." {
		return "./"
	}
	return strings.TrimSuffix(p, "/") + "/"
}
