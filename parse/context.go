package parse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// A Manifest is the exact build context of a Dockerfile build: every file
// its COPY and ADD instructions read from the context directory, after the
// ignore file, with its mode, size and SHA-256. It is what modalc uploads
// for the build, and nothing else.
//
// The Dockerfile and the ignore file are not entries of their own: Modal
// receives the Dockerfile as the build's commands, and modalc applies the
// ignore file itself. Like any other file, they are entries when a COPY
// source names them and the ignore file does not exclude them (docker
// would copy them then too).
type Manifest struct {
	Entries []ManifestEntry // sorted by Path; no duplicates
	Bytes   int64           // the sum of the entries' sizes
	// Digest is "sha256:" and the hex SHA-256 of one line per entry, in
	// order: path, NUL, git-style octal mode (100644, 100755, 120000),
	// NUL, size in decimal, NUL, the entry's hex SHA-256, LF. It moves
	// when a copied file (or its mode) changes and stays put when an
	// ignored or unused file does.
	Digest string
	// Sources are the COPY and ADD sources that read the context, in
	// Dockerfile order, with what each matched.
	Sources []ContextSource
	// Ignore is the ignore file that applies; nil when there is none.
	Ignore *IgnoreFile
	// Escapes are the symlinks among the copied paths whose target is
	// outside the context directory. Their targets are not read.
	Escapes []Escape
}

// A ManifestEntry is one file of the build context.
type ManifestEntry struct {
	Path string // relative to the context directory, forward slashes
	// Mode is 0644 or 0755 for a regular file (the execute bit, as git
	// keeps it: other permission bits depend on the checkout's umask, and a
	// plan is a function of the repository), fs.ModeSymlink|0777 for a
	// symlink.
	Mode   fs.FileMode
	Size   int64  // bytes; for a symlink, the length of its target
	SHA256 string // hex, of the contents; for a symlink, of its target as written
	Source int    // index in Manifest.Sources of the first source that reads it
}

// A ContextSource is one COPY or ADD source that reads the build context.
type ContextSource struct {
	Instruction int    // index in Dockerfile.Instructions
	Cmd         string // "copy" or "add"
	Written     string // the source as the Dockerfile writes it
	// Path is the source after variable expansion, relative to the context
	// directory, cleaned as BuildKit does (a leading / or ../ stays inside
	// the context), forward slashes; "." is the whole context. It may hold
	// wildcards (filepath.Match syntax, per path element).
	Path string
	Span Span // where the Dockerfile writes it
	// Remote is set for ADD of a URL or a git repository: nothing is read
	// from the context.
	Remote bool
	// Unset names the variables the source uses that neither an ARG, an
	// ENV nor a build arg sets: BuildKit expands them to "" (unless the base
	// image sets them, which modalc cannot know).
	Unset []string
	// Matched counts the context paths the source names that exist (a
	// glob may name several), whether excluded or not.
	Matched int
	Files   int   // entries it reads (some may be read by an earlier source too)
	Bytes   int64 // their total size
	// Ignored counts the paths it names that the ignore file excludes
	// (files, and directories excluded whole). IgnoredBy is the first
	// ignore pattern that excluded one of them.
	Ignored   int
	IgnoredBy *IgnorePattern
}

// An IgnoreFile is the .dockerignore that applies to a build: the
// Dockerfile's own <Dockerfile>.dockerignore beside it, else the context
// directory's .dockerignore, as docker chooses.
type IgnoreFile struct {
	Path     string // display path
	Patterns []IgnorePattern
	data     []byte // the contents, for Source.Files
}

// An IgnorePattern is one pattern of an ignore file, as moby/patternmatcher
// reads it ("!" kept for exclusions), with its 1-based line.
type IgnorePattern struct {
	Pattern string
	Line    int
}

// An Escape is a symlink in the build context whose target is outside it.
type Escape struct {
	Path   string // the symlink, relative to the context
	Target string // the link's target as written
	Source int    // index in Manifest.Sources
}

// testHookHash, when set, is called with each file the manifest opens to
// hash (its context-relative path). Tests and the benchmark count them.
var testHookHash func(rel string)

// ReadManifest reads the build context of df: contextDir and dockerfile
// are absolute paths, and buildArgs the values of the build's build args
// (a nil map for none). Only the files that COPY and ADD sources name are
// read (directories they name are walked, their files hashed by
// streaming). Problems with the context are data in the Manifest; the
// error is an I/O failure, or an *Error for an unreadable ignore file.
func ReadManifest(contextDir, dockerfile string, df *Dockerfile, buildArgs map[string]string) (*Manifest, error) {
	r := &manifestReader{ctx: contextDir, df: df, entries: map[string]*ManifestEntry{}, dirOK: map[string]bool{}}
	real, err := filepath.EvalSymlinks(contextDir)
	if err != nil {
		return nil, err
	}
	r.real = real
	if err := r.readIgnore(dockerfile); err != nil {
		return nil, err
	}
	for _, src := range expandSources(df, buildArgs) {
		i := len(r.m.Sources)
		r.m.Sources = append(r.m.Sources, src)
		if src.Remote {
			continue
		}
		if err := r.source(i); err != nil {
			return nil, err
		}
	}
	r.finish()
	return &r.m, nil
}

type manifestReader struct {
	ctx, real string // the context directory, as given and with symlinks resolved
	df        *Dockerfile
	m         Manifest
	ignore    *patternmatcher.PatternMatcher
	entries   map[string]*ManifestEntry
	dirOK     map[string]bool // directory (context-relative) → its real path is inside the context
}

// readIgnore finds and reads the ignore file: <Dockerfile>.dockerignore
// beside the Dockerfile wins over the context's .dockerignore (BuildKit's
// rule).
func (r *manifestReader) readIgnore(dockerfile string) error {
	for _, p := range []string{dockerfile + ".dockerignore", filepath.Join(r.ctx, ".dockerignore")} {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			continue
		}
		disp := r.display(filepath.Dir(dockerfile), p)
		if fi.Size() > MaxFileSize {
			return &Error{Kind: ErrTooLarge, Span: Span{File: disp},
				Msg: fmt.Sprintf("ignore file is %s; modalc reads input files of at most %s", humanBytes(fi.Size()), humanBytes(MaxFileSize))}
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
		if err != nil {
			return err
		}
		lines := ignoreLines(data)
		f := &IgnoreFile{Path: disp}
		for i, p := range patterns {
			ip := IgnorePattern{Pattern: p}
			if len(lines) == len(patterns) {
				ip.Line = lines[i]
			}
			f.Patterns = append(f.Patterns, ip)
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			bad := IgnorePattern{Line: 1}
			for _, ip := range f.Patterns {
				if _, e := patternmatcher.New([]string{ip.Pattern}); e != nil {
					bad = ip
					break
				}
			}
			return &Error{Kind: ErrIgnoreFile, Span: Span{File: disp, Start: Pos{bad.Line, 1}, End: Pos{bad.Line, 2}},
				Msg: fmt.Sprintf("invalid ignore pattern %q: %v", bad.Pattern, err), Hint: "fix or remove the line: patterns use filepath.Match syntax (a literal [ is written \\[)"}
		}
		f.data = data
		r.ignore = pm
		r.m.Ignore = f
		return nil
	}
	return nil
}

// ignoreLines returns the 1-based line of each pattern ignorefile.ReadAll
// returns, by the same rules (comment lines start with "#"; blank lines
// are skipped).
func ignoreLines(data []byte) []int {
	var out []int
	for i, l := range strings.Split(string(data), "\n") {
		if i == 0 {
			l = strings.TrimPrefix(l, "\uFEFF")
		}
		l = strings.TrimSuffix(l, "\r")
		if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
			continue
		}
		out = append(out, i+1)
	}
	return out
}

// display turns an absolute path into the user's form, given the display
// form of the Dockerfile (df.Path) and the directory it is in.
func (r *manifestReader) display(dfDir, abs string) string {
	rel, err := filepath.Rel(dfDir, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return path.Clean(path.Join(path.Dir(r.df.Path), filepath.ToSlash(rel)))
}

// expandSources lists the context sources of every COPY and ADD (all
// stages: Modal's SDK, like a plain docker build of the last stage's
// dependencies, reads them), with variables expanded as BuildKit's shell
// lexer does in that place of the Dockerfile.
func expandSources(df *Dockerfile, buildArgs map[string]string) []ContextSource {
	lex := shell.NewLex(df.Escape)
	// The global scope: BuildKit's automatic platform args, then the ARGs
	// before the first FROM. Modal builds linux/amd64 images.
	global := envMap{
		"BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDARCH": "amd64",
		"TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETARCH": "amd64",
	}
	stageEnv := make([]map[string]string, len(df.Stages)) // ENV each stage ends with
	var env envMap
	var out []ContextSource
	for i, in := range df.Instructions {
		switch {
		case in.Cmd == "from":
			env = envMap{}
			if st := df.Stages[in.Stage]; st.Base != "" {
				base, _, _ := lex.ProcessWord(st.Base, global)
				if j := df.StageOf(base); j >= 0 && j < in.Stage {
					for k, v := range stageEnv[j] {
						env[k] = v
					}
				}
			}
			stageEnv[in.Stage] = map[string]string{}
		case in.Cmd == "arg":
			scope := env
			if in.Stage < 0 {
				scope = global
			}
			for _, v := range in.Vars {
				if bv, ok := buildArgs[v.Name]; ok {
					scope[v.Name] = bv
				} else if v.Value != nil {
					val, _, _ := lex.ProcessWord(*v.Value, scope)
					scope[v.Name] = val
				} else if gv, ok := global[v.Name]; ok && in.Stage >= 0 {
					scope[v.Name] = gv
				}
			}
		case in.Cmd == "env" && in.Stage >= 0:
			for _, v := range in.Vars {
				val, _, _ := lex.ProcessWord(*v.Value, env)
				env[v.Name] = val
				stageEnv[in.Stage][v.Name] = val
			}
		case in.Copy != nil && in.Copy.From == "" && in.Stage >= 0:
			for _, w := range in.Copy.Sources {
				src := ContextSource{Instruction: i, Cmd: in.Cmd, Written: w, Span: in.ArgSpan(df.Path, w)}
				res, err := lex.ProcessWordWithMatches(w, env)
				expanded := w
				if err == nil {
					expanded = res.Result
					for name := range res.Unmatched {
						src.Unset = append(src.Unset, name)
					}
					slices.Sort(src.Unset)
				}
				if in.Cmd == "add" && isRemote(expanded) {
					src.Remote = true
					src.Path = expanded
				} else {
					src.Path = cleanSource(expanded)
				}
				out = append(out, src)
			}
		}
	}
	return out
}

// envMap is a shell.EnvGetter over a map.
type envMap map[string]string

func (e envMap) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }

func (e envMap) Keys() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isRemote reports whether an ADD source is a URL or a git repository,
// which BuildKit fetches instead of reading the context.
func isRemote(s string) bool {
	for _, p := range []string{"http://", "https://", "git://", "git@", "ssh://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// cleanSource makes a COPY source relative to the context root, as
// BuildKit resolves it: cleaned against "/", so that neither a leading /
// nor ../ leaves the context.
func cleanSource(s string) string {
	p := strings.TrimPrefix(path.Clean("/"+s), "/")
	if p == "" {
		return "."
	}
	return p
}

// hasWildcard reports whether a path has filepath.Match metacharacters.
func hasWildcard(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// source resolves source i: the paths it names, then everything under them.
func (r *manifestReader) source(i int) error {
	src := &r.m.Sources[i]
	matches, err := r.glob(src.Path)
	if err != nil {
		return err
	}
	src.Matched = len(matches)
	for _, rel := range matches {
		if err := r.walk(i, rel, rel, true); err != nil {
			return err
		}
	}
	return nil
}

// glob returns the context paths (relative, sorted) that p names: itself
// when it has no wildcard and exists, else the paths matching it element
// by element, as BuildKit resolves wildcards.
func (r *manifestReader) glob(p string) ([]string, error) {
	if p == "." {
		return []string{"."}, nil
	}
	if !hasWildcard(p) {
		if _, err := os.Lstat(r.abs(p)); err != nil {
			if missing(err) {
				return nil, nil
			}
			return nil, err
		}
		return []string{p}, nil
	}
	cur := []string{"."}
	for _, elem := range strings.Split(p, "/") {
		var next []string
		for _, dir := range cur {
			if !hasWildcard(elem) {
				cand := path.Join(dir, elem)
				if _, err := os.Lstat(r.abs(cand)); err == nil {
					next = append(next, cand)
				}
				continue
			}
			ents, err := os.ReadDir(r.abs(dir))
			if err != nil {
				if missing(err) {
					continue
				}
				return nil, err
			}
			for _, e := range ents {
				if ok, _ := path.Match(elem, e.Name()); ok {
					next = append(next, path.Join(dir, e.Name()))
				}
			}
		}
		cur = next
	}
	slices.Sort(cur)
	return cur, nil
}

func (r *manifestReader) abs(rel string) string { return filepath.Join(r.ctx, filepath.FromSlash(rel)) }

// ignored reports whether the ignore file excludes rel, and which pattern
// decided it.
func (r *manifestReader) ignored(rel string) (bool, *IgnorePattern) {
	if r.ignore == nil || rel == "." {
		return false, nil
	}
	ok, err := r.ignore.MatchesOrParentMatches(rel)
	if err != nil || !ok {
		return false, nil
	}
	// The last pattern that matches decides; report the last exclusion
	// that matches rel or one of its parents.
	var by *IgnorePattern
	for j, p := range r.ignore.Patterns() {
		if p.Exclusion() {
			continue
		}
		for q := rel; q != "." && q != "/"; q = path.Dir(q) {
			if m, _ := patternmatcher.MatchesOrParentMatches(q, []string{p.String()}); m {
				by = &r.m.Ignore.Patterns[j]
				break
			}
		}
	}
	return true, by
}

// walk adds rel (reached through source i, whose matched root is root) to
// the manifest: a file, a symlink, or a directory's files. named is set
// for the path the source names itself, which BuildKit follows when it is
// a symlink.
func (r *manifestReader) walk(i int, root, rel string, named bool) error {
	src := &r.m.Sources[i]
	if ok, err := r.dirInside(i, path.Dir(rel)); err != nil || !ok {
		return err // a parent directory is a symlink out of the context: an Escape
	}
	if excluded(root, rel, r.df, src) {
		return nil
	}
	full := r.abs(rel)
	fi, err := os.Lstat(full)
	if err != nil {
		return err
	}
	if ex, by := r.ignored(rel); ex {
		// A directory excluded whole is skipped, unless a "!" pattern may
		// bring some of its files back: docker walks it then.
		if !fi.IsDir() || !r.ignore.Exclusions() {
			src.Ignored++
			if src.IgnoredBy == nil {
				src.IgnoredBy = by
			}
			return nil
		}
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(full)
		if err != nil {
			return err
		}
		inside, resolved := r.linkInside(rel, target)
		if !inside {
			r.escape(Escape{Path: rel, Target: target, Source: i})
			return nil
		}
		r.add(i, ManifestEntry{Path: rel, Mode: fs.ModeSymlink | 0o777, Size: int64(len(target)), SHA256: sha256Hex([]byte(target))})
		if named && resolved != "" {
			// COPY follows the symlink it names (not those inside a
			// directory it copies, which stay links): read the target too.
			return r.walk(i, resolved, resolved, false)
		}
	case fi.IsDir():
		ents, err := os.ReadDir(full)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := r.walk(i, root, path.Join(rel, e.Name()), false); err != nil {
				return err
			}
		}
	case fi.Mode().IsRegular():
		if e, ok := r.entries[rel]; ok {
			src.Files++
			src.Bytes += e.Size
			return nil
		}
		mode := fs.FileMode(0o644)
		if fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		sum, n, err := hashFile(full, rel)
		if err != nil {
			return err
		}
		r.add(i, ManifestEntry{Path: rel, Mode: mode, Size: n, SHA256: sum})
	}
	// Sockets, devices and pipes are not files a build can copy.
	return nil
}

// escape records an escaping symlink once.
func (r *manifestReader) escape(e Escape) {
	for _, x := range r.m.Escapes {
		if x.Path == e.Path {
			return
		}
	}
	r.m.Escapes = append(r.m.Escapes, e)
}

// excluded applies COPY --exclude: patterns relative to the source's
// matched root.
func excluded(root, rel string, df *Dockerfile, src *ContextSource) bool {
	in := df.Instructions[src.Instruction]
	if in.Copy == nil || len(in.Copy.Exclude) == 0 || rel == root {
		return false
	}
	sub := strings.TrimPrefix(rel, root+"/")
	if root == "." {
		sub = rel
	}
	ok, _ := patternmatcher.MatchesOrParentMatches(sub, in.Copy.Exclude)
	return ok
}

func (r *manifestReader) add(i int, e ManifestEntry) {
	src := &r.m.Sources[i]
	src.Files++
	src.Bytes += e.Size
	if _, ok := r.entries[e.Path]; ok {
		return
	}
	e.Source = i
	r.entries[e.Path] = &e
}

// dirInside reports whether the directory rel (context-relative) really
// is inside the context, following symlinks among its path elements. When
// it is not, the symlink that leaves is recorded as an Escape of source i.
func (r *manifestReader) dirInside(i int, rel string) (bool, error) {
	if rel == "." {
		return true, nil
	}
	if ok, seen := r.dirOK[rel]; seen {
		return ok, nil
	}
	ok, err := r.dirInside(i, path.Dir(rel))
	if err != nil || !ok {
		r.dirOK[rel] = false
		return false, err
	}
	fi, err := os.Lstat(r.abs(rel))
	if err != nil {
		return false, err
	}
	ok = true
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(r.abs(rel))
		if err != nil {
			return false, err
		}
		if ok, _ = r.linkInside(rel, target); !ok {
			r.escape(Escape{Path: rel, Target: target, Source: i})
		}
	}
	r.dirOK[rel] = ok
	return ok, nil
}

// linkInside reports whether the symlink rel with the given target stays
// inside the context, and the context-relative path it resolves to when
// it does (empty for a dangling link).
func (r *manifestReader) linkInside(rel, target string) (bool, string) {
	real, err := filepath.EvalSymlinks(r.abs(rel))
	if err != nil {
		// Dangling: decide on the text of the target.
		if filepath.IsAbs(target) {
			return within(r.real, target) || within(r.ctx, target), ""
		}
		p := path.Join(path.Dir(rel), filepath.ToSlash(target))
		return p != ".." && !strings.HasPrefix(p, "../"), ""
	}
	if !within(r.real, real) {
		return false, ""
	}
	res, err := filepath.Rel(r.real, real)
	if err != nil {
		return false, ""
	}
	return true, filepath.ToSlash(res)
}

// within reports whether p is dir or below it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// missing reports whether err says a path does not exist, or goes
// through a file as if it were a directory.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// hashFile streams a file through SHA-256.
func hashFile(full, rel string) (string, int64, error) {
	if testHookHash != nil {
		testHookHash(rel)
	}
	f, err := os.Open(full)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// finish sorts the entries and computes the totals and the digest.
func (r *manifestReader) finish() {
	m := &r.m
	m.Entries = make([]ManifestEntry, 0, len(r.entries))
	for _, e := range r.entries {
		m.Entries = append(m.Entries, *e)
	}
	slices.SortFunc(m.Entries, func(a, b ManifestEntry) int { return strings.Compare(a.Path, b.Path) })
	h := sha256.New()
	for _, e := range m.Entries {
		m.Bytes += e.Size
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\n", e.Path, GitMode(e.Mode), e.Size, e.SHA256)
	}
	m.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// GitMode renders an entry's mode as git does: 100644, 100755 or 120000.
func GitMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "120000"
	case m&0o111 != 0:
		return "100755"
	}
	return "100644"
}

// readManifest reads the manifest of b (a local build whose Dockerfile
// was parsed) with the given build args, and caches the ignore file.
func (s *Source) readManifest(b *Build, buildArgs map[string]string) error {
	if b == nil || b.File == nil || b.ContextRemote || b.ContextMissing || b.ContextNotDir {
		return nil
	}
	m, err := ReadManifest(b.Context, b.Dockerfile, b.File, buildArgs)
	if err != nil {
		return err
	}
	if m.Ignore != nil {
		s.Files[m.Ignore.Path] = m.Ignore.data
	}
	b.Manifest = m
	return nil
}

// buildArgs returns the build args that have a value (an args entry
// without one leaves the ARG default in place).
func buildArgs(args map[string]*string) map[string]string {
	out := map[string]string{}
	for k, v := range args {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// HumanBytes renders a size for messages: "12.3 MiB", "512 bytes".
func HumanBytes(n int64) string { return humanBytes(n) }
