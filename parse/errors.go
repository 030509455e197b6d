package parse

import (
	"errors"
	"fmt"
)

// ErrNoInput is returned when a path names neither a file nor a directory.
var ErrNoInput = errors.New("no such file or directory")

// ErrorKind says what is wrong with an input file. validate gives each kind
// its own diagnostic code.
type ErrorKind int

const (
	_                ErrorKind = iota // the zero kind is never used
	ErrSyntax                         // not well-formed YAML
	ErrEmpty                          // nothing but whitespace and comments
	ErrBinary                         // a NUL byte: not a text file
	ErrEncoding                       // not UTF-8
	ErrTooLarge                       // over MaxFileSize
	ErrStructure                      // YAML, but not a compose document (wrong types, no mapping)
	ErrInterpolation                  // a ${VAR} that cannot be substituted
	ErrEnvFile                        // an env_file that cannot be read
	ErrDockerfile                     // a Dockerfile that cannot be parsed
	ErrIgnoreFile                     // a .dockerignore with a pattern docker's matcher refuses
)

// An Error is a problem in an input file that stops it from being read any
// further. It knows where it is.
type Error struct {
	Kind ErrorKind
	Span Span
	Msg  string // lower-case, no final period
	Hint string // optional
	Path string // attribute path, when known
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Span, e.Msg) }
