package validate

import (
	"fmt"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/modalc/modalc/lower"
	"github.com/modalc/modalc/parse"
)

// A Rule is one check: its code, its default severity, a one-line title and
// an explanation (printed by `modalc explain`, the README and SARIF), and
// the check itself. Rules with a nil Check are reported by package parse
// (input errors) and converted by FromError.
type Rule struct {
	Code     Code
	Severity Severity
	Title    string
	Explain  string
	Check    func(c *Checker)
}

// A Checker is what a rule's Check sees: the source, helpers over it, and
// Report. It knows the running rule, as an analysis Pass knows its Analyzer.
type Checker struct {
	Src   *parse.Source
	rule  *Rule
	diags Diagnostics
}

// Report records a diagnostic of the running rule at span.
func (c *Checker) Report(span parse.Span, path, format string, args ...any) *Diagnostic {
	c.diags = append(c.diags, Diagnostic{
		Severity: c.rule.Severity, Code: c.rule.Code, Path: path, Span: span,
		Message: fmt.Sprintf(format, args...),
	})
	return &c.diags[len(c.diags)-1]
}

// ReportAt records a diagnostic at the attribute path, pointing at the key
// (keyOnly) or the value, as found in the position index; it falls back to
// the nearest ancestor the file spells out.
func (c *Checker) ReportAt(path string, atValue bool, format string, args ...any) *Diagnostic {
	return c.Report(c.Span(path, atValue), path, format, args...)
}

// Span returns the position of path in the compose file: its value or its key.
func (c *Checker) Span(path string, atValue bool) parse.Span {
	e, ok := c.Src.Index.Find(path)
	if !ok {
		return parse.Span{File: c.Src.Path}
	}
	if atValue {
		return e.Value
	}
	return e.Span()
}

// Hintf sets the diagnostic's hint.
func (d *Diagnostic) Hintf(format string, args ...any) *Diagnostic {
	d.Hint = fmt.Sprintf(format, args...)
	return d
}

// Services returns the compose services in name order (none for other inputs).
func (c *Checker) Services() []Service {
	if c.Src.Project == nil {
		return nil
	}
	var out []Service
	for n, s := range c.Src.Project.Services {
		out = append(out, Service{Name: n, Config: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// XModal returns the top-level x-modal value as compose-go decoded it, and
// whether the file has one.
func (c *Checker) XModal() (any, bool) {
	if c.Src.Project == nil {
		return nil, false
	}
	v, ok := c.Src.Project.Extensions["x-modal"]
	return v, ok
}

// XModalDecoded returns the x-modal block decoded as lower reads it.
func (c *Checker) XModalDecoded() lower.XModal {
	v, _ := c.XModal()
	return lower.DecodeXModal(v)
}

// A Service is a compose service with its name.
type Service struct {
	Name   string
	Config types.ServiceConfig
}

// Path returns the attribute path of attr in this service.
func (s Service) Path(attr string) string { return "services." + s.Name + "." + attr }

// Check runs every rule over src and returns the diagnostics, sorted.
func Check(src *parse.Source) Diagnostics {
	c := &Checker{Src: src}
	for _, r := range Rules {
		if r.Check == nil {
			continue
		}
		if src.Kind != parse.KindCompose && !r.anyInput() {
			continue
		}
		c.rule = r
		r.Check(c)
	}
	c.diags.Sort()
	return c.diags
}

// anyInput reports whether a rule applies to Dockerfile and default inputs
// too (the Dockerfile family); every other rule reads a compose file.
func (r *Rule) anyInput() bool { return r.Code >= "MC400" && r.Code < "MC500" }

// Lookup returns the rule with the given code.
func Lookup(code Code) (*Rule, bool) {
	for _, r := range Rules {
		if r.Code == code {
			return r, true
		}
	}
	return nil, false
}
