package parse

import "fmt"

// A Pos is a place in a file. Line and Column are 1-based; Column counts
// runes, as YAML parsers and editors do. The zero Pos means "unknown".
type Pos struct {
	Line   int
	Column int
}

// A Span is a range in one file: Start inclusive, End exclusive. File is the
// path as modalc shows it to the user (relative to the working directory
// when the input was given relatively), with forward slashes.
type Span struct {
	File  string
	Start Pos
	End   Pos
}

// IsZero reports whether s has neither a file nor a position.
func (s Span) IsZero() bool { return s.File == "" && s.Start.Line == 0 }

// String renders s as file:line:col (or file alone when the line is unknown).
func (s Span) String() string {
	if s.Start.Line == 0 {
		return s.File
	}
	return fmt.Sprintf("%s:%d:%d", s.File, s.Start.Line, s.Start.Column)
}
