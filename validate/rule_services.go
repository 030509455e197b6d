package validate

import "strings"

var ruleServiceCount = &Rule{
	Code: "MC201", Severity: SevError, Title: "not exactly one service",
	Explain: "A Modal sandbox runs one container, under gVisor, with no network between sandboxes: a second service (a database, a proxy) cannot run beside it. Keep one service; run the others as separate sandboxes or fold them into the image.",
	Check: func(c *Checker) {
		svcs := c.Services()
		if len(svcs) == 1 {
			return
		}
		if len(svcs) == 0 {
			c.ReportAt("services", false, "no services: a Modal sandbox runs exactly one").
				Hintf("add one service under services:")
			return
		}
		names := make([]string, len(svcs))
		for i, s := range svcs {
			names[i] = s.Name
		}
		// Point at the second service: the first one is fine on its own.
		second := c.Span("services."+c.secondService(names), false)
		c.Report(second, "services", "%d services (%s); a Modal sandbox runs exactly one", len(svcs), strings.Join(names, ", ")).
			Hintf("keep one service; run the others as separate sandboxes")
	},
}

// secondService returns the service written second in the file (the
// first one whose key comes after another's), or the second by name.
func (c *Checker) secondService(names []string) string {
	type at struct {
		name      string
		line, col int
	}
	var ats []at
	for _, n := range names {
		if e, ok := c.Src.Index.Lookup("services." + n); ok {
			ats = append(ats, at{n, e.Key.Start.Line, e.Key.Start.Column})
		}
	}
	if len(ats) < 2 {
		return names[1]
	}
	first, second := ats[0], ats[1]
	less := func(a, b at) bool { return a.line < b.line || a.line == b.line && a.col < b.col }
	if less(second, first) {
		first, second = second, first
	}
	for _, a := range ats[2:] {
		switch {
		case less(a, first):
			first, second = a, first
		case less(a, second):
			second = a
		}
	}
	return second.name
}

var ruleWorkdir = &Rule{
	Code: "MC202", Severity: SevError, Title: "working_dir not absolute",
	Explain: "Modal refuses a relative working directory (docker resolves it against the image's WORKDIR; Modal does not). Write an absolute path.",
	Check: func(c *Checker) {
		for _, s := range c.Services() {
			if w := s.Config.WorkingDir; w != "" && !strings.HasPrefix(w, "/") {
				c.ReportAt(s.Path("working_dir"), true, "working_dir %q is relative; Modal needs an absolute path", w).
					Hintf("write /%s, or the absolute path it means", strings.TrimPrefix(w, "./"))
			}
		}
	},
}
