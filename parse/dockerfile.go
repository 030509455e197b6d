package parse

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/command"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// A Dockerfile is a parsed Dockerfile: its instructions, with positions.
type Dockerfile struct {
	Path         string // display path
	Instructions []Instruction
	Stages       []Stage
	// Escape is the escape character of the file's parser directive ('\\' or '`').
	Escape rune
}

// An Instruction is one Dockerfile instruction.
type Instruction struct {
	Cmd   string   // lower-case: "from", "copy", "run", …
	Args  []string // arguments after flags, as the parser split them
	Flags []string // "--from=build", "--chown=1000"
	Line  int      // 1-based start line
	End   int      // 1-based end line
	Raw   string   // the instruction as written (first line of it)
	Stage int      // index into Stages; -1 for instructions before the first FROM (ARG)
	JSON  bool     // written in the JSON (exec) form: COPY ["a", "b"]

	// Unknown is set when BuildKit does not know the instruction (a typo
	// such as COPPY): docker refuses the whole Dockerfile.
	Unknown bool

	// Copy holds the operands of COPY and ADD; nil for other instructions.
	Copy *CopyOperands
	// Vars holds what ARG declares (Value nil without a default) and what
	// ENV sets, unexpanded, in order.
	Vars []Var
}

// CopyOperands are the operands of a COPY or ADD instruction, as
// BuildKit's instructions package decodes them.
type CopyOperands struct {
	Sources  []string // source paths as written; heredoc sources are left out
	Dest     string
	From     string   // COPY --from: a stage, an image or a named context; "" = the build context
	Heredocs int      // inline heredoc sources (COPY <<EOF): not read from the context
	Exclude  []string // --exclude patterns
}

// A Var is a variable an ARG declares or an ENV sets. Value is as written
// (unexpanded); nil for an ARG without a default.
type Var struct {
	Name  string
	Value *string
}

// A Stage is a FROM and what follows it up to the next FROM.
type Stage struct {
	Name     string // the AS name, lower-cased; empty when unnamed
	Base     string // the image it starts from
	Platform string // FROM --platform, as written (unexpanded); "" when absent
	Line     int
	Index    int
}

// Span returns the span of the instruction's first line.
func (in Instruction) Span(file string) Span {
	return Span{File: file, Start: Pos{in.Line, 1}, End: Pos{in.Line, 1 + len([]rune(in.Raw))}}
}

// KeywordSpan returns the span of the instruction's keyword (COPY, FROM, …)
// on its first line.
func (in Instruction) KeywordSpan(file string) Span {
	lead := len([]rune(in.Raw)) - len([]rune(strings.TrimLeft(in.Raw, " \t")))
	word := strings.TrimLeft(in.Raw, " \t")
	if i := strings.IndexAny(word, " \t"); i >= 0 {
		word = word[:i]
	}
	return Span{File: file, Start: Pos{in.Line, 1 + lead}, End: Pos{in.Line, 1 + lead + len([]rune(word))}}
}

// WordSpan returns the span of the first occurrence of word on the
// instruction's first line after its keyword, or the whole line when the
// word is not there (a continuation line, an escape).
func (in Instruction) WordSpan(file, word string) Span {
	return in.wordSpan(file, word, false)
}

// ArgSpan is WordSpan for an argument: it looks after the flags.
func (in Instruction) ArgSpan(file, word string) Span {
	return in.wordSpan(file, word, true)
}

func (in Instruction) wordSpan(file, word string, afterFlags bool) Span {
	kw := in.KeywordSpan(file)
	rs := []rune(in.Raw)
	from := kw.End.Column - 1
	if afterFlags {
		for _, f := range in.Flags {
			if from <= len(rs) {
				if i := strings.Index(string(rs[from:]), f); i >= 0 {
					from += len([]rune(string(rs[from:])[:i])) + len([]rune(f))
				}
			}
		}
	}
	if word != "" && from <= len(rs) {
		if i := strings.Index(string(rs[from:]), word); i >= 0 {
			col := 1 + from + len([]rune(string(rs[from:])[:i]))
			return Span{File: file, Start: Pos{in.Line, col}, End: Pos{in.Line, col + len([]rune(word))}}
		}
	}
	return in.Span(file)
}

// Instructions is the set of instructions BuildKit knows, lower-case.
func Instructions() []string {
	out := make([]string, 0, len(command.Commands))
	for c := range command.Commands {
		out = append(out, c)
	}
	return out
}

var parserLine = regexp.MustCompile(`line (\d+)`)

// ParseDockerfile parses a Dockerfile's contents with BuildKit's parser (the
// one docker uses), and decodes each instruction with BuildKit's
// instructions package. A parse failure, or an instruction BuildKit
// refuses (COPY with one argument, an unknown flag), is an *Error of kind
// ErrDockerfile; an unknown instruction is not: it is marked Unknown, for
// validate to report with the others.
func ParseDockerfile(display string, data []byte) (*Dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		line := 1
		msg := err.Error()
		var loc *parser.LocationError
		if errors.As(err, &loc) && len(loc.Locations) > 0 && len(loc.Locations[0]) > 0 {
			line = loc.Locations[0][0].Start.Line
		} else if m := parserLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		if loc != nil && loc.Unwrap() != nil {
			msg = loc.Unwrap().Error()
		}
		msg = strings.TrimPrefix(msg, "dockerfile parse error: ")
		return nil, &Error{Kind: ErrDockerfile, Span: Span{File: display, Start: Pos{line, 1}, End: Pos{line, 2}},
			Msg: "invalid Dockerfile: " + msg}
	}
	df := &Dockerfile{Path: display, Escape: rune(res.EscapeToken)}
	lines := strings.Split(string(data), "\n")
	// A linter that warns nowhere: BuildKit's checks are not modalc's
	// diagnostics, and a nil linter panics on a "# check=" directive.
	lint := linter.New(&linter.Config{})
	stage := -1
	for _, n := range res.AST.Children {
		in := Instruction{Cmd: strings.ToLower(n.Value), Flags: n.Flags, Line: n.StartLine, End: n.EndLine,
			JSON: n.Attributes["json"]}
		for a := n.Next; a != nil; a = a.Next {
			in.Args = append(in.Args, a.Value)
		}
		if n.StartLine >= 1 && n.StartLine <= len(lines) {
			in.Raw = strings.TrimRight(lines[n.StartLine-1], "\r")
		}
		cmd, err := instructions.ParseInstructionWithLinter(n, lint)
		var unknown *instructions.UnknownInstructionError
		switch {
		case errors.As(err, &unknown):
			in.Unknown = true
		case err != nil:
			msg := err.Error()
			if u := errors.Unwrap(err); u != nil {
				msg = u.Error()
			}
			sp := in.KeywordSpan(display)
			return nil, &Error{Kind: ErrDockerfile, Span: sp, Msg: "invalid Dockerfile: " + msg}
		}
		switch c := cmd.(type) {
		case *instructions.CopyCommand:
			in.Copy = &CopyOperands{Sources: c.SourcePaths, Dest: c.DestPath, From: c.From,
				Heredocs: len(c.SourceContents), Exclude: c.ExcludePatterns}
		case *instructions.AddCommand:
			in.Copy = &CopyOperands{Sources: c.SourcePaths, Dest: c.DestPath,
				Heredocs: len(c.SourceContents), Exclude: c.ExcludePatterns}
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				in.Vars = append(in.Vars, Var{Name: a.Key, Value: a.Value})
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				v := kv.Value
				in.Vars = append(in.Vars, Var{Name: kv.Key, Value: &v})
			}
		}
		if in.Cmd == "from" {
			stage++
			st := Stage{Line: n.StartLine, Index: stage}
			if len(in.Args) > 0 {
				st.Base = in.Args[0]
			}
			if len(in.Args) >= 3 && strings.EqualFold(in.Args[1], "as") {
				st.Name = strings.ToLower(in.Args[2])
			}
			if s, ok := cmd.(*instructions.Stage); ok {
				st.Platform = s.Platform
			}
			df.Stages = append(df.Stages, st)
		}
		in.Stage = stage
		df.Instructions = append(df.Instructions, in)
	}
	if len(df.Stages) == 0 {
		return nil, &Error{Kind: ErrDockerfile, Span: Span{File: display, Start: Pos{1, 1}, End: Pos{1, 2}},
			Msg: "invalid Dockerfile: no FROM instruction", Hint: fmt.Sprintf("start %s with FROM <image>", display)}
	}
	return df, nil
}

// Args returns the names every ARG of the Dockerfile declares, in the
// global scope (before the first FROM) and in stages.
func (df *Dockerfile) Args() map[string]bool {
	out := map[string]bool{}
	for _, in := range df.Instructions {
		if in.Cmd == "arg" {
			for _, v := range in.Vars {
				out[v.Name] = true
			}
		}
	}
	return out
}

// StageOf returns the index of the stage named name (case-insensitive),
// or -1.
func (df *Dockerfile) StageOf(name string) int {
	for _, st := range df.Stages {
		if st.Name != "" && strings.EqualFold(st.Name, name) {
			return st.Index
		}
	}
	return -1
}
