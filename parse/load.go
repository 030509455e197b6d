package parse

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// MaxFileSize is the largest input file modalc reads, in bytes. Compose
// files and Dockerfiles are small; a larger one is almost surely a mistake
// (a log, a dump), and parsing it would only be slow.
const MaxFileSize = 8 << 20

// An Option configures Load. The zero configuration is the documented
// default: nothing is read from the process environment.
type Option func(*config)

type config struct {
	env map[string]string
}

// WithEnv supplies values for ${NAME} interpolation, on top of the project's
// .env file. Without it, a reference that .env does not set stays as written
// ("${NAME}"), so a plan is a function of the repository's files alone.
// apply passes the process environment here.
func WithEnv(env map[string]string) Option { return func(c *config) { c.env = env } }

// Load finds and reads the input at path: a compose file, a Dockerfile, or a
// directory (see Detect). Problems in the input are returned as *Error; any
// other error is an I/O failure (a missing path wraps ErrNoInput).
func Load(ctx context.Context, path string, opts ...Option) (*Source, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	kind, file, err := Detect(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	src := &Source{Kind: kind, Path: displayPath(file), Files: map[string][]byte{}}
	switch kind {
	case KindDefault:
		src.Dir = abs
		return src, nil
	case KindDockerfile:
		src.Dir = filepath.Dir(abs)
		data, err := src.read(abs, src.Path)
		if err != nil {
			return nil, err
		}
		df, err := ParseDockerfile(src.Path, data)
		if err != nil {
			return nil, err
		}
		src.Build = &Build{File: df,
			Context: src.Dir, Dockerfile: abs,
			ContextPath: displayPath(filepath.Dir(file)), DockerfilePath: src.Path,
			ContextRel: ".", DockerfileRel: filepath.Base(abs),
		}
		if err := src.readManifest(src.Build, nil); err != nil {
			return nil, err
		}
		return src, nil
	}
	src.Dir = filepath.Dir(abs)
	if err := loadCompose(ctx, src, abs, &c); err != nil {
		return nil, err
	}
	return src, nil
}

func displayPath(p string) string { return filepath.ToSlash(filepath.Clean(p)) }

// display turns an absolute path below (or beside) the input's directory
// into the form the user sees: relative to the input's display directory.
func (s *Source) display(abs string) string {
	rel, err := filepath.Rel(s.Dir, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return displayPath(filepath.Join(filepath.Dir(filepath.FromSlash(s.Path)), rel))
}

// Rel returns abs relative to the input's directory, with forward slashes.
func (s *Source) Rel(abs string) string {
	rel, err := filepath.Rel(s.Dir, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

// read reads a text input file into the cache, refusing what is not text.
func (s *Source) read(abs, display string) ([]byte, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &Error{Kind: ErrStructure, Span: Span{File: display}, Msg: "is a directory, not a file"}
	}
	if fi.Size() > MaxFileSize {
		return nil, &Error{Kind: ErrTooLarge, Span: Span{File: display},
			Msg:  fmt.Sprintf("file is %s; modalc reads input files of at most %s", humanBytes(fi.Size()), humanBytes(MaxFileSize)),
			Hint: "point modalc at the compose file or Dockerfile itself"}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > MaxFileSize {
		return nil, &Error{Kind: ErrTooLarge, Span: Span{File: display},
			Msg: fmt.Sprintf("file is over %s; modalc reads input files of at most that", humanBytes(MaxFileSize))}
	}
	s.Files[display] = data
	if e := checkText(display, data); e != nil {
		return nil, e
	}
	return data, nil
}

// checkText refuses binary and non-UTF-8 input with the position of the
// first offending byte.
func checkText(display string, data []byte) *Error {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return &Error{Kind: ErrBinary, Span: Span{File: display, Start: posAt(data, i), End: posAt(data, i)},
			Msg: "contains a NUL byte: this is a binary file, not YAML or a Dockerfile"}
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		p := posAt(data, i)
		return &Error{Kind: ErrEncoding, Span: Span{File: display, Start: p, End: Pos{p.Line, p.Column + 1}},
			Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x)", data[i]), Hint: "save the file as UTF-8"}
	}
	return nil
}

// posAt returns the 1-based line and rune column of byte offset i.
func posAt(data []byte, i int) Pos {
	if i > len(data) {
		i = len(data)
	}
	line := 1 + bytes.Count(data[:i], []byte{'\n'})
	start := bytes.LastIndexByte(data[:i], '\n') + 1
	return Pos{Line: line, Column: 1 + utf8.RuneCount(data[start:i])}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func isBlank(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") && t != "---" && t != "..." {
			return false
		}
	}
	return true
}
