package parse

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modalc/modalc/internal/golden"
)

var _ = golden.Update // every test package imports golden, so that go test ./... -update works

// writeTree creates files under dir: path → contents. A contents of the
// form "-> target" makes a symlink.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(c, "-> "); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// manifestOf parses dir/Dockerfile and reads its manifest.
func manifestOf(t testing.TB, dir string, args map[string]string) *Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df, err := ParseDockerfile("Dockerfile", data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir, filepath.Join(dir, "Dockerfile"), df, args)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func paths(m *Manifest) []string {
	var out []string
	for _, e := range m.Entries {
		out = append(out, e.Path)
	}
	return out
}

func TestManifest(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  map[string]string
		want  []string
		check func(t *testing.T, m *Manifest)
	}{{
		name: "literal file, directory and glob",
		files: map[string]string{
			"Dockerfile":   "FROM alpine\nCOPY app.py /app/\nCOPY lib /app/lib\nCOPY *.txt /app/\n",
			"app.py":       "print(1)",
			"lib/a.py":     "a",
			"lib/sub/b.py": "b",
			"one.txt":      "1",
			"two.txt":      "2",
			"unused.md":    "not copied",
			"sub/x.txt":    "a glob does not cross /",
		},
		want: []string{"app.py", "lib/a.py", "lib/sub/b.py", "one.txt", "two.txt"},
	}, {
		name: "ARG defaults, build args, ENV and ${VAR:-x}",
		files: map[string]string{
			"Dockerfile": "ARG DIR=src\nFROM alpine\nARG DIR\nARG FILE=default.txt\nARG OTHER\nENV CONF=conf\n" +
				"COPY $DIR/ /src/\nCOPY ${FILE} /\nCOPY ${OTHER:-fallback.txt} /\nCOPY ${CONF}/*.ini /etc/\n",
			"src/main.go":      "package main",
			"given.txt":        "build arg",
			"default.txt":      "not used: the build arg wins",
			"fallback.txt":     "fallback",
			"conf/app.ini":     "[app]",
			"conf/readme.md":   "no",
			"other/ignored.go": "no",
		},
		args: map[string]string{"FILE": "given.txt"},
		want: []string{"conf/app.ini", "fallback.txt", "given.txt", "src/main.go"},
	}, {
		name: "dockerignore, with an exclusion brought back",
		files: map[string]string{
			"Dockerfile":     "FROM alpine\nCOPY . /app\n",
			".dockerignore":  "# comment\n*.log\nbuild\n!build/keep.txt\nDockerfile\n",
			"main.py":        "x",
			"debug.log":      "no",
			"build/out.bin":  "no",
			"build/keep.txt": "yes",
		},
		want: []string{".dockerignore", "build/keep.txt", "main.py"},
		check: func(t *testing.T, m *Manifest) {
			if m.Ignore == nil || m.Ignore.Path != ".dockerignore" {
				t.Fatalf("ignore file = %+v", m.Ignore)
			}
			want := []IgnorePattern{{"*.log", 2}, {"build", 3}, {"!build/keep.txt", 4}, {"Dockerfile", 5}}
			if d := cmp.Diff(want, m.Ignore.Patterns, cmp.AllowUnexported(IgnorePattern{})); d != "" {
				t.Errorf("patterns (-want +got):\n%s", d)
			}
		},
	}, {
		name: "Dockerfile.dockerignore wins over .dockerignore",
		files: map[string]string{
			"Dockerfile":              "FROM alpine\nCOPY a.txt b.txt /\n",
			"Dockerfile.dockerignore": "a.txt\n",
			".dockerignore":           "b.txt\n",
			"a.txt":                   "a",
			"b.txt":                   "b",
		},
		want: []string{"b.txt"},
		check: func(t *testing.T, m *Manifest) {
			if m.Ignore.Path != "Dockerfile.dockerignore" {
				t.Errorf("ignore file %s", m.Ignore.Path)
			}
			if s := m.Sources[0]; s.Ignored != 1 || s.Files != 0 || s.IgnoredBy == nil || s.IgnoredBy.Line != 1 {
				t.Errorf("a.txt source = %+v", s)
			}
		},
	}, {
		name: "missing source, COPY --from, heredoc and remote ADD",
		files: map[string]string{
			"Dockerfile": "FROM alpine AS build\nFROM alpine\nCOPY --from=build /bin/sh /x\nCOPY nothing.txt /\n" +
				"COPY <<EOF /greeting\nhello\nEOF\nADD https://example.com/a.tgz /\nCOPY file.txt/sub /\n",
			"file.txt": "a file, not a directory",
		},
		want: nil,
		check: func(t *testing.T, m *Manifest) {
			if len(m.Sources) != 3 {
				t.Fatalf("sources = %+v", m.Sources)
			}
			if s := m.Sources[2]; s.Path != "file.txt/sub" || s.Matched != 0 {
				t.Errorf("path through a file = %+v", s)
			}
			if s := m.Sources[0]; s.Path != "nothing.txt" || s.Matched != 0 || s.Span.Start != (Pos{4, 6}) {
				t.Errorf("missing source = %+v", s)
			}
			if !m.Sources[1].Remote {
				t.Errorf("ADD of a URL is not remote: %+v", m.Sources[1])
			}
		},
	}, {
		name: "symlinks: inside kept, outside an escape",
		files: map[string]string{
			"Dockerfile":   "FROM alpine\nCOPY dir /d\nCOPY link-to-file /f\nCOPY out/secret /s\n",
			"dir/real.txt": "r",
			"dir/rel-link": "-> real.txt",
			"dir/abs-out":  "-> /etc/hostname",
			"target.txt":   "t",
			"link-to-file": "-> target.txt",
			"out":          "-> ../outside",
			// Outside the context directory: read through out, never.
			"../outside/secret": "not in the context",
		},
		want: []string{"dir/real.txt", "dir/rel-link", "link-to-file", "target.txt"},
		check: func(t *testing.T, m *Manifest) {
			var got []string
			for _, e := range m.Escapes {
				got = append(got, e.Path+" -> "+e.Target)
			}
			if d := cmp.Diff([]string{"dir/abs-out -> /etc/hostname", "out -> ../outside"}, got); d != "" {
				t.Errorf("escapes (-want +got):\n%s", d)
			}
		},
	}, {
		name: "a leading / or ../ stays in the context",
		files: map[string]string{
			"Dockerfile": "FROM alpine\nCOPY /a.txt ../b.txt /\n",
			"a.txt":      "a",
			"b.txt":      "b",
		},
		want: []string{"a.txt", "b.txt"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			m := manifestOf(t, dir, tt.args)
			if d := cmp.Diff(tt.want, paths(m)); d != "" {
				t.Errorf("entries (-want +got):\n%s", d)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

// TestManifestDigest checks what moves the digest and what does not.
func TestManifestDigest(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Dockerfile":    "FROM alpine\nCOPY src /src\n",
		".dockerignore": "src/*.log\n",
		"src/main.py":   "print('hello')",
		"src/debug.log": "ignored",
		"README.md":     "unused",
	})
	base := manifestOf(t, dir, nil)
	if len(base.Entries) != 1 || !strings.HasPrefix(base.Digest, "sha256:") || len(base.Digest) != 71 {
		t.Fatalf("base manifest: %+v", base)
	}
	write := func(p, c string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		change func()
		moves  bool
	}{
		{"an ignored file changes", func() { write("src/debug.log", "still ignored") }, false},
		{"an unused file changes", func() { write("README.md", "still unused") }, false},
		{"an unused file appears", func() { write("NOTES.txt", "new") }, false},
		{"the Dockerfile changes without changing what it copies", func() {
			write("Dockerfile", "FROM alpine\nRUN true\nCOPY src /src\n")
		}, false},
		{"a copied file changes", func() { write("src/main.py", "print('bye')") }, true},
		{"a copied file's mode changes", func() {
			if err := os.Chmod(filepath.Join(dir, "src/main.py"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a copied file appears", func() { write("src/util.py", "x = 1") }, true},
		{"a copied file is renamed", func() {
			if err := os.Rename(filepath.Join(dir, "src/util.py"), filepath.Join(dir, "src/utils.py")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a copied file becomes ignored", func() { write(".dockerignore", "src/*.log\nsrc/utils.py\n") }, true},
	}
	prev := base.Digest
	for _, s := range steps {
		s.change()
		got := manifestOf(t, dir, nil).Digest
		if moved := got != prev; moved != s.moves {
			t.Errorf("%s: digest moved = %v, want %v", s.name, moved, s.moves)
		}
		prev = got
	}
}

// TestManifestReadsOnlyCopied checks that only the files COPY names are
// opened, however large the context.
func TestManifestReadsOnlyCopied(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"Dockerfile": "FROM alpine\nCOPY keep /keep\nCOPY one.txt /\n"}
	for i := range 50 {
		files[fmt.Sprintf("other/f%02d.txt", i)] = "x"
	}
	files["keep/a"], files["keep/b"], files["one.txt"] = "a", "b", "1"
	writeTree(t, dir, files)
	var opened []string
	testHookHash = func(rel string) { opened = append(opened, rel) }
	defer func() { testHookHash = nil }()
	manifestOf(t, dir, nil)
	slices.Sort(opened)
	if d := cmp.Diff([]string{"keep/a", "keep/b", "one.txt"}, opened); d != "" {
		t.Errorf("opened (-want +got):\n%s", d)
	}
}

// BenchmarkManifest reads the manifest of a 10,000-file context of which
// the Dockerfile copies 300 files (three directories of 100), and reports
// how many files it opened per run: only those it copies.
func BenchmarkManifest(b *testing.B) {
	dir := b.TempDir()
	files := map[string]string{
		"Dockerfile": "FROM python:3.12\nARG PART=d000\nCOPY ${PART} /app/a\nCOPY d001/ /app/b\nCOPY d002/f*.py /app/c/\n",
	}
	for d := range 100 {
		for f := range 100 {
			files[fmt.Sprintf("d%03d/f%03d.py", d, f)] = strings.Repeat("x", 1024)
		}
	}
	writeTree(b, dir, files)
	opened := 0
	testHookHash = func(string) { opened++ }
	defer func() { testHookHash = nil }()
	b.ResetTimer()
	for b.Loop() {
		m := manifestOf(b, dir, nil)
		if len(m.Entries) != 300 {
			b.Fatalf("%d entries, want 300", len(m.Entries))
		}
	}
	b.ReportMetric(float64(opened)/float64(b.N), "opened/op")
	if per := opened / b.N; per != 300 {
		b.Fatalf("opened %d files per run, want the 300 copied", per)
	}
}
