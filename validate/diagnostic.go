package validate

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/modalc/modalc/parse"
)

// Severity says how bad a diagnostic is. The zero value is invalid and is
// never emitted.
type Severity int

const (
	_          Severity = iota
	SevError            // the plan cannot be made, or would not do what the file says
	SevWarning          // the sandbox will differ from the file, or another tool will read it differently
	SevInfo             // cosmetic: dropped without effect
)

func (s Severity) String() string {
	switch s {
	case SevError:
		return "error"
	case SevWarning:
		return "warning"
	case SevInfo:
		return "info"
	}
	return "invalid"
}

// A Code identifies a kind of diagnostic: "MC201". Codes are stable and
// never reused; see rules.go for the catalogue.
type Code string

// A Diagnostic is one problem found in an input.
type Diagnostic struct {
	Severity Severity
	Code     Code
	Message  string     // what is wrong: lower-case, no final period
	Hint     string     // optional: how to fix it, imperative
	Path     string     // attribute path, e.g. "services.web.mem_limit"; may be empty
	Span     parse.Span // where; 1-based, end exclusive
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s[%s]: %s", d.Span, d.Severity, d.Code, d.Message)
}

// Diagnostics is a list of diagnostics. Check returns it sorted.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool { return ds.Count(SevError) > 0 }

// Count returns how many diagnostics have severity s.
func (ds Diagnostics) Count(s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Sort orders ds by file, line, column, code and message: the order every
// output format uses.
func (ds Diagnostics) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Span.File, b.Span.File),
			cmp.Compare(a.Span.Start.Line, b.Span.Start.Line),
			cmp.Compare(a.Span.Start.Column, b.Span.Start.Column),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Severities changes the severity of some codes, as a linter's users do:
// a code mapped to 0 is dropped, any other value replaces the rule's
// severity. Strict turns every remaining warning into an error.
type Severities struct {
	Override map[Code]Severity // 0 = ignore the code
	Strict   bool
}

// Check refuses overrides that name no code, and any that would drop or
// lower an error: an error means Modal would refuse the sandbox, or that
// it would not do what the file says, so the pipeline cannot go past it.
func (s Severities) Check() error {
	codes := make([]Code, 0, len(s.Override))
	for c := range s.Override {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, code := range codes {
		r, ok := Lookup(code)
		if !ok {
			return fmt.Errorf("unknown diagnostic code %q (modalc explain lists them)", code)
		}
		if r.Severity == SevError && s.Override[code] != SevError {
			return fmt.Errorf("%s (%s) is an error and cannot be ignored: Modal would refuse the sandbox, or it would not do what the file says", code, r.Title)
		}
	}
	return nil
}

// Apply returns ds with the overrides applied, sorted.
func (s Severities) Apply(ds Diagnostics) Diagnostics {
	out := make(Diagnostics, 0, len(ds))
	for _, d := range ds {
		if sev, ok := s.Override[d.Code]; ok {
			if sev == 0 {
				continue
			}
			d.Severity = sev
		}
		if s.Strict && d.Severity == SevWarning {
			d.Severity = SevError
		}
		out = append(out, d)
	}
	out.Sort()
	return out
}

// FromError turns an error from package parse into diagnostics when it is
// a problem with the input (*parse.Error); ok is false for anything else,
// which is an I/O failure or a bug for the caller to report.
func FromError(err error) (ds Diagnostics, ok bool) {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return nil, false
	}
	r := inputRules[pe.Kind]
	if r == nil {
		r = ruleStructure
	}
	return Diagnostics{{Severity: r.Severity, Code: r.Code, Message: pe.Msg, Hint: pe.Hint, Path: pe.Path, Span: pe.Span}}, true
}
