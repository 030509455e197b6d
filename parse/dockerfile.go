package parse

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

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
}

// A Stage is a FROM and what follows it up to the next FROM.
type Stage struct {
	Name  string // the AS name, lower-cased; empty when unnamed
	Base  string // the image it starts from
	Line  int
	Index int
}

// Span returns the span of the instruction's first line.
func (in Instruction) Span(file string) Span {
	return Span{File: file, Start: Pos{in.Line, 1}, End: Pos{in.Line, 1 + len([]rune(in.Raw))}}
}

var parserLine = regexp.MustCompile(`line (\d+)`)

// ParseDockerfile parses a Dockerfile's contents with BuildKit's parser (the
// one docker uses). A parse failure is an *Error of kind ErrDockerfile.
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
	stage := -1
	for _, n := range res.AST.Children {
		in := Instruction{Cmd: strings.ToLower(n.Value), Flags: n.Flags, Line: n.StartLine, End: n.EndLine}
		for a := n.Next; a != nil; a = a.Next {
			in.Args = append(in.Args, a.Value)
		}
		if n.StartLine >= 1 && n.StartLine <= len(lines) {
			in.Raw = strings.TrimRight(lines[n.StartLine-1], "\r")
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
