package parse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
	"go.yaml.in/yaml/v4"
)

// compose-go logs warnings through the global logrus logger. Raw library
// lines must never reach modalc's users: everything compose-go warns about
// is either re-derived by modalc as a positioned diagnostic or irrelevant.
var silenceLogrus = sync.OnceFunc(func() { logrus.SetOutput(io.Discard) })

// supported returns the attribute paths that compose-go must not report:
// modalc lowers them (or checks them itself). It is set by package validate,
// which owns the classification, through SetSupported.
var supported = func() []tree.Path { return nil }

// SetSupported declares the compose attribute paths modalc translates, as
// a function called once, on the first Load (computing them reads the
// compose specification's schema: a cost start-up should not pay). Every
// other attribute of a loaded file is reported in Source.Unsupported
// (fail-closed: an attribute the compose specification gains later is
// reported until modalc declares it). Package validate calls it in its init.
func SetSupported(paths func() []tree.Path) { supported = sync.OnceValue(paths) }

func loadCompose(ctx context.Context, src *Source, abs string, c *config) error {
	silenceLogrus()
	data, err := src.read(abs, src.Path)
	if err != nil {
		return err
	}
	if isBlank(data) {
		return &Error{Kind: ErrEmpty, Span: Span{File: src.Path, Start: Pos{1, 1}, End: Pos{1, 2}},
			Msg: "the compose file is empty", Hint: "add a services: mapping with one service"}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return yamlError(src.Path, data, err)
	}
	if e := checkShape(src.Path, &root); e != nil {
		return e
	}
	src.Index = NewIndex(src.Path, &root)
	top, _ := src.Index.Lookup("")
	if top.Node == nil || top.Node.Kind != yaml.MappingNode {
		return &Error{Kind: ErrStructure, Span: top.Value, Msg: "the top level of a compose file must be a mapping",
			Hint: "start the file with services:"}
	}
	_, hasServices := src.Index.Lookup("services")
	_, hasInclude := src.Index.Lookup("include") // the services may all come from included files
	if !hasServices && !hasInclude {
		return &Error{Kind: ErrStructure, Span: Span{File: src.Path, Start: Pos{1, 1}, End: Pos{1, 2}},
			Msg: "the compose file has no services", Hint: "add a services: mapping with one service"}
	}

	var unsupported []loader.UnsupportedAttribute
	var dotenvVars map[string]string
	lookup := func(name string) (string, bool) {
		if v, ok := c.env[name]; ok {
			return v, true
		}
		if v, ok := dotenvVars[name]; ok {
			return v, true
		}
		return "", false
	}
	// substitute interpolates as compose does (${A:-default}, ${A:?err},
	// …), except that without WithEnv a reference to a variable set
	// nowhere stays as written ("${NAME}"), so the plan shows where the
	// value would come from instead of an empty string; a required one
	// is not an error then (the caller's environment may set it). A
	// lookup that claimed every name was set, instead, would make compose
	// ignore the file's own defaults (cpus: ${CPUS:-2} would not load).
	substitute := func(tmpl string, m template.Mapping) (string, error) {
		return template.SubstituteWithOptions(tmpl, m, template.WithoutLogging,
			template.WithReplacementFunction(func(sub string, m template.Mapping, cfg *template.Config) (string, error) {
				v, applied, err := template.DefaultReplacementAppliedFunc(sub, m, cfg)
				if c.env != nil {
					return v, err
				}
				var req *template.MissingRequiredError
				if errors.As(err, &req) {
					return "${" + req.Variable + "}", nil
				}
				if err == nil && !applied {
					return "${" + varName(sub) + "}", nil
				}
				return v, err
			}))
	}
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(src.Dir),
		cli.WithName("modalc"),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithConsistency(false),
		cli.WithoutEnvironmentResolution,
		cli.WithLoadOptions(
			func(o *loader.Options) {
				if o.Interpolate != nil {
					o.Interpolate.LookupValue = lookup
					o.Interpolate.Substitute = substitute
				}
			},
			loader.WithSupportedAttributes(supported(), func(u []loader.UnsupportedAttribute) { unsupported = u }),
		),
	)
	if err != nil {
		return src.composeError(err, filepath.Join(src.Dir, ".env"))
	}
	dotenvVars = map[string]string(opts.Environment)
	for _, f := range opts.EnvFiles {
		if b, err := os.ReadFile(f); err == nil {
			src.Files[src.display(f)] = b
		}
	}
	src.Vars = scanVars(src.Index)

	project, err := opts.LoadProject(ctx)
	if err != nil {
		return src.composeError(err, abs)
	}
	src.Project = project
	src.Unsupported = unsupported
	// compose-go deletes the obsolete top-level version before its check
	// of unsupported attributes runs, so that check never sees it: add it
	// back, for validate to report like any other attribute modalc drops.
	if e, ok := src.Index.Lookup("version"); ok && e.Node != nil && !slices.Contains(supported(), "version") {
		src.Unsupported = append(src.Unsupported, loader.UnsupportedAttribute{Path: "version", Value: e.Node.Value})
	}
	src.EnvFiles = map[string][]EnvFile{}
	src.Builds = map[string]*Build{}
	for _, name := range sortedServiceNames(project) {
		svc := project.Services[name]
		files, err := src.readEnvFiles(name, svc.EnvFiles, lookup)
		if err != nil {
			return err
		}
		src.EnvFiles[name] = files
		if svc.Build != nil {
			b := src.resolveBuild(svc.Build)
			if !b.ContextRemote && !b.DockerfileMissing && !b.DockerfileIsDir {
				data, err := src.read(b.Dockerfile, b.DockerfilePath)
				if err != nil {
					return err
				}
				if b.File, err = ParseDockerfile(b.DockerfilePath, data); err != nil {
					return err
				}
				if err := src.readManifest(b, buildArgs(svc.Build.Args)); err != nil {
					return err
				}
			}
			src.Builds[name] = b
		}
	}
	if len(project.Services) == 1 {
		for _, b := range src.Builds {
			src.Build = b
		}
	}
	return nil
}

func sortedServiceNames(p *types.Project) []string {
	names := make([]string, 0, len(p.Services))
	for n := range p.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Source) readEnvFiles(service string, files []types.EnvFile, lookup func(string) (string, bool)) ([]EnvFile, error) {
	var out []EnvFile
	for i, f := range files {
		path := fmt.Sprintf("services.%s.env_file", service)
		e, _ := s.Index.Find(fmt.Sprintf("%s.%d", path, i))
		if single, ok := s.Index.Lookup(path); ok && single.Node.Kind == yaml.ScalarNode {
			e = single
		}
		ef := EnvFile{Path: s.display(f.Path), Span: e.Value, Required: bool(f.Required), Values: map[string]string{}}
		if fi, err := os.Stat(f.Path); err == nil && !fi.Mode().IsRegular() {
			// A device or a pipe (/dev/zero, /dev/stdin) would be read
			// forever, or block.
			return nil, &Error{Kind: ErrEnvFile, Span: e.Value, Path: path,
				Msg: fmt.Sprintf("env_file %s is not a regular file", ef.Path), Hint: "name a file of KEY=value lines"}
		}
		data, err := readLimited(f.Path)
		var tooLarge *Error
		if errors.As(err, &tooLarge) {
			tooLarge.Span, tooLarge.Path = e.Value, path
			return nil, tooLarge
		}
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && !ef.Required {
				ef.Missing = true
				out = append(out, ef)
				continue
			}
			msg := fmt.Sprintf("env_file %s cannot be read", ef.Path)
			if errors.Is(err, fs.ErrNotExist) {
				msg = fmt.Sprintf("env_file %s does not exist", ef.Path)
			}
			return nil, &Error{Kind: ErrEnvFile, Span: e.Value, Path: path, Msg: msg,
				Hint: "create the file, or mark it optional with required: false"}
		}
		s.Files[ef.Path] = data
		if e := checkText(ef.Path, data); e != nil {
			return nil, e
		}
		vars := map[string]string{}
		if err := dotenv.ParseWithFormat(bytes.NewReader(data), f.Path, vars, lookup, f.Format); err != nil {
			// The parser's message may quote a line, and a line holds a
			// value: say only where.
			return nil, &Error{Kind: ErrEnvFile, Span: Span{File: ef.Path}, Path: path,
				Msg: fmt.Sprintf("env_file %s is not a valid env file", ef.Path), Hint: "write one KEY=value per line"}
		}
		ef.Values = vars
		ef.Keys = envFileKeys(data, vars)
		out = append(out, ef)
	}
	return out, nil
}

// envFileKeys returns the keys of vars in the order the file sets them.
func envFileKeys(data []byte, vars map[string]string) []string {
	keys := make([]string, 0, len(vars))
	seen := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "export "))
		k, _, _ := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if _, ok := vars[k]; ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for k := range vars {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	return keys
}

func isRemoteContext(ctx string) bool {
	return strings.Contains(ctx, "://") || strings.HasPrefix(ctx, "git@") || strings.HasPrefix(ctx, "github.com/")
}

func (s *Source) resolveBuild(b *types.BuildConfig) *Build {
	ctxDir := b.Context
	if ctxDir == "" {
		ctxDir = "."
	}
	out := &Build{}
	if isRemoteContext(ctxDir) {
		out.ContextRemote = true
		out.Context = ctxDir
		out.ContextPath = ctxDir
		out.ContextRel = ctxDir
		return out
	}
	if !filepath.IsAbs(ctxDir) {
		ctxDir = filepath.Join(s.Dir, ctxDir)
	}
	df := b.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if !filepath.IsAbs(df) {
		df = filepath.Join(ctxDir, df)
	}
	out.Context, out.Dockerfile = ctxDir, df
	out.ContextPath, out.DockerfilePath = s.display(ctxDir), s.display(df)
	out.ContextRel, out.DockerfileRel = s.Rel(ctxDir), s.Rel(df)
	if fi, err := os.Stat(ctxDir); err != nil {
		out.ContextMissing = true
	} else if !fi.IsDir() {
		out.ContextNotDir = true
	}
	if fi, err := os.Stat(df); err != nil {
		out.DockerfileMissing = true
	} else if fi.IsDir() {
		out.DockerfileIsDir = true
	}
	return out
}

// varPattern matches what compose interpolates: $$, ${...} and $NAME.
var varPattern = regexp.MustCompile(`\$\$|\$\{[^}]*\}?|\$[A-Za-z_][A-Za-z0-9_]*`)

// scanVars finds every interpolation in the compose file's scalars (keys
// included: compose interpolates values only, but a key with a $ is worth
// no less a look), in file order.
func scanVars(ix *Index) []VarRef {
	var refs []VarRef
	ix.Paths(func(path string, e Entry) {
		n := e.Node
		if n == nil || n.Kind != yaml.ScalarNode || !strings.Contains(n.Value, "$") {
			return
		}
		for _, m := range varPattern.FindAllStringIndex(n.Value, -1) {
			text := n.Value[m[0]:m[1]]
			r := VarRef{Text: text, Path: path, Span: e.Value}
			if text == "$$" {
				r.Escaped = true
			} else {
				r.Name = varName(text)
			}
			refs = append(refs, r)
		}
	})
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i].Span.Start, refs[j].Span.Start
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return refs[i].Text < refs[j].Text
	})
	return refs
}

func varName(text string) string {
	t := strings.TrimPrefix(text, "$")
	t = strings.TrimPrefix(t, "{")
	t = strings.TrimSuffix(t, "}")
	if i := strings.IndexAny(t, ":-?+"); i >= 0 {
		t = t[:i]
	}
	return t
}

// yamlError turns a YAML parser error into an *Error with its position.
// data is the file's contents, to place errors that give only a line.
func yamlError(file string, data []byte, err error) error {
	var le *yaml.LoadError
	if errors.As(err, &le) {
		p := Pos{le.Mark.Line, le.Mark.Column}
		msg := le.Message
		// Errors found while constructing values (a duplicate key) are
		// marked at the document and say "line N: " in the message: point
		// at that line's first non-blank character.
		if m := lineMsg.FindStringSubmatch(msg); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Column = 1 + indentOf(data, p.Line)
			msg = m[2]
		}
		if p.Line == 0 {
			p = Pos{1, 1}
		}
		if strings.Contains(msg, "excessive aliasing") {
			msg = "excessive aliasing: the file expands to too much data"
		}
		return &Error{Kind: ErrSyntax, Span: Span{File: file, Start: p, End: Pos{p.Line, p.Column + 1}},
			Msg: "invalid YAML: " + msg}
	}
	var les *yaml.LoadErrors
	if errors.As(err, &les) && len(les.Errors) > 0 {
		return yamlError(file, data, les.Errors[0])
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	return &Error{Kind: ErrSyntax, Span: Span{File: file, Start: Pos{1, 1}, End: Pos{1, 2}}, Msg: "invalid YAML: " + msg}
}

var lineMsg = regexp.MustCompile(`^line (\d+): (.*)$`)

// indentOf returns the number of leading blanks of line n (1-based) of data.
func indentOf(data []byte, n int) int {
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		return 0
	}
	l := lines[n-1]
	return len([]rune(l)) - len([]rune(strings.TrimLeft(l, " \t")))
}

// attrPath finds the first compose attribute path in a compose-go message.
var attrPath = regexp.MustCompile(`\b((?:services|networks|volumes|secrets|configs|include|models)(?:\.[^\s:,'"]+)*)`)

// unknownAttr matches compose-go's schema errors for an attribute the
// specification does not have.
var unknownAttr = regexp.MustCompile(`^(\S*) ?(?:false schema|additional propert(?:y|ies) '([^']+)'.* not allowed)$`)

// fileRef finds where the compose file names the file abs (extends.file,
// include, env_file, …): the first scalar that resolves to it. Not found
// (the reference is in another file), it is the top of the file.
func (s *Source) fileRef(abs string) (Span, string) {
	best, bestPath := Span{File: s.Path, Start: Pos{1, 1}, End: Pos{1, 2}}, ""
	s.Index.Paths(func(path string, e Entry) {
		n := e.Node
		if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" || path == "" {
			return
		}
		v := n.Value
		if !filepath.IsAbs(v) {
			v = filepath.Join(s.Dir, v)
		}
		if filepath.Clean(v) != filepath.Clean(abs) {
			return
		}
		p := e.Value.Start
		if bestPath == "" || p.Line < best.Start.Line || p.Line == best.Start.Line && p.Column < best.Start.Column {
			best, bestPath = e.Value, path
		}
	})
	return best, bestPath
}

// composeError turns an error from compose-go into an *Error positioned
// through the index, in modalc's words. compose-go's errors carry no
// position, only (sometimes) an attribute path.
func (s *Source) composeError(err error, file string) error {
	var pe *fs.PathError
	msg := err.Error()
	if errors.As(err, &pe) && !strings.Contains(msg, "validating") {
		if errors.Is(err, fs.ErrNotExist) {
			span, path := s.fileRef(pe.Path)
			return &Error{Kind: ErrStructure, Span: span, Path: path,
				Msg: fmt.Sprintf("a file it refers to does not exist: %s", s.display(pe.Path))}
		}
	}
	// compose-go decodes the file again, into Go values, which checks what
	// yaml.Unmarshal into a Node does not: duplicate keys, alias bombs.
	// Those are YAML problems, positioned by the YAML parser. (Only for
	// this file: the mark of an included file's error is not in it.)
	var le *yaml.LoadError
	var les *yaml.LoadErrors
	if (errors.As(err, &le) || errors.As(err, &les)) && strings.HasPrefix(msg, "failed to parse "+file+":") {
		return yamlError(s.Path, s.Files[s.Path], err)
	}
	// Make absolute paths relative, as every other message is.
	msg = strings.ReplaceAll(msg, s.Dir+string(filepath.Separator), "")
	msg = strings.ReplaceAll(msg, s.Dir, ".")
	for _, p := range []string{"validating " + filepath.Base(file) + ": ", "validating " + s.Path + ": "} {
		msg = strings.TrimPrefix(msg, p)
	}
	msg = strings.TrimPrefix(msg, "error while interpolating ")
	// An attribute the compose specification does not have: compose-go's
	// schema says "PATH false schema" or " additional properties 'KEY' not
	// allowed" (with an empty PATH at the top level). Say it in words, at
	// the key.
	if m := unknownAttr.FindStringSubmatch(msg); m != nil {
		path, where := m[1], "at the top level"
		if m[2] != "" {
			path = join(path, m[2])
		}
		name := lastSegment(path)
		if i := strings.LastIndexByte(path, '.'); i >= 0 {
			where = "in " + path[:i]
		}
		span := Span{File: s.Path, Start: Pos{1, 1}, End: Pos{1, 2}}
		if e, ok := s.Index.Find(path); ok {
			span = e.Span()
		}
		return &Error{Kind: ErrStructure, Span: span, Path: path,
			Msg:  fmt.Sprintf("unknown attribute %q %s", name, where),
			Hint: "check the spelling against the compose specification; extension keys start with x-"}
	}
	kind := ErrStructure
	if strings.Contains(err.Error(), "interpolat") || strings.Contains(msg, "required variable") {
		kind = ErrInterpolation
	}
	span := Span{File: s.Path, Start: Pos{1, 1}, End: Pos{1, 2}}
	path := ""
	if m := attrPath.FindStringSubmatch(msg); m != nil {
		path = m[1]
		if e, ok := s.Index.Find(path); ok {
			span = e.Span()
			if kind == ErrInterpolation {
				span = e.Value
			}
		}
	}
	hint := ""
	if strings.Contains(msg, "${") || strings.Contains(msg, "failed to cast") {
		kind = ErrInterpolation
		if e, ok := s.Index.Lookup(path); ok && e.Node != nil {
			if names := refNames(e.Node.Value); len(names) > 0 {
				msg = fmt.Sprintf("%s: %s needs a value, and neither .env nor the file sets %s; a plan does not read the caller's environment",
					lastSegment(path), e.Node.Value, strings.Join(names, ", "))
				hint = "set it in the project's .env file, or write the value in the compose file"
			}
		}
	}
	return &Error{Kind: kind, Span: span, Msg: msg, Path: path, Hint: hint}
}

func refNames(v string) []string {
	var names []string
	for _, m := range varPattern.FindAllString(v, -1) {
		if m != "$$" {
			names = append(names, varName(m))
		}
	}
	return names
}

func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// readLimited reads a file of at most MaxFileSize bytes; a larger one is
// an *Error of kind ErrTooLarge.
func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &Error{Kind: ErrTooLarge, Span: Span{File: name},
			Msg: fmt.Sprintf("file is over %s; modalc reads input files of at most that", humanBytes(MaxFileSize))}
	}
	return data, nil
}
