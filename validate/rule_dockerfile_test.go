package validate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modalc/modalc/parse"
)

// TestRuleDockerfileLargeContext shows MC406 on a manifest over 100 MiB:
// a golden case would need the bytes on disk.
func TestRuleDockerfileLargeContext(t *testing.T) {
	df, err := parse.ParseDockerfile("Dockerfile", []byte("FROM python:3.12\nCOPY app.py /\nCOPY data /data\n"))
	if err != nil {
		t.Fatal(err)
	}
	at := func(line, col int, w string) parse.Span {
		return parse.Span{File: "Dockerfile", Start: parse.Pos{Line: line, Column: col}, End: parse.Pos{Line: line, Column: col + len(w)}}
	}
	m := &parse.Manifest{
		Entries: []parse.ManifestEntry{
			{Path: "app.py", Size: 1 << 10, Source: 0},
			{Path: "data/models/a.bin", Size: 80 << 20, Source: 1},
			{Path: "data/models/b.bin", Size: 30 << 20, Source: 1},
			{Path: "data/small.csv", Size: 1 << 20, Source: 1},
		},
		Sources: []parse.ContextSource{
			{Instruction: 1, Cmd: "copy", Written: "app.py", Path: "app.py", Span: at(2, 6, "app.py"), Matched: 1, Files: 1, Bytes: 1 << 10},
			{Instruction: 2, Cmd: "copy", Written: "data", Path: "data", Span: at(3, 6, "data"), Matched: 1, Files: 3, Bytes: 111 << 20},
		},
		Ignore: &parse.IgnoreFile{Path: ".dockerignore"},
	}
	for _, e := range m.Entries {
		m.Bytes += e.Size
	}
	src := &parse.Source{Kind: parse.KindDockerfile, Path: "Dockerfile",
		Build: &parse.Build{File: df, Manifest: m, ContextPath: ".", DockerfilePath: "Dockerfile"}}
	var got []string
	for _, d := range Check(src) {
		got = append(got, d.String()+"\n    hint: "+d.Hint)
	}
	want := []string{"Dockerfile:3:6: warning[MC406]: build context is 111.0 MiB in 4 files, over 100.0 MiB; " +
		"largest: data/models/a.bin (80.0 MiB), data/models/b.bin (30.0 MiB), data/small.csv (1.0 MiB)\n" +
		`    hint: if the image does not need data/models (110.0 MiB), add the line "data/models" to .dockerignore`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("diagnostics (-want +got):\n%s", d)
	}

	// Under the limit: nothing.
	m.Bytes = largeContext
	for _, d := range Check(src) {
		if d.Code == "MC406" {
			t.Errorf("reported at exactly 100 MiB: %s", d)
		}
	}
}

func TestHeaviestDir(t *testing.T) {
	tests := []struct {
		sizes map[string]int64
		want  string
	}{
		{string2int{}.of("big.iso", 90, "src/a.py", 10), "big.iso"},
		{string2int{}.of("data/a", 45, "data/b", 45, "src/a.py", 10), "data"},
		{string2int{}.of("data/x/a", 95, "data/y/b", 1, "src/a.py", 4), "data/x/a"},
		{string2int{}.of("a/1", 30, "b/1", 30, "c/1", 40), "c"},
	}
	for _, tt := range tests {
		var entries []parse.ManifestEntry
		for _, p := range sortedKeys(tt.sizes) {
			entries = append(entries, parse.ManifestEntry{Path: p, Size: tt.sizes[p]})
		}
		if got, _ := heaviestDir(entries); got != tt.want {
			t.Errorf("heaviestDir(%v) = %q, want %q", strings.Join(sortedKeys(tt.sizes), " "), got, tt.want)
		}
	}
}

type string2int map[string]int64

func (string2int) of(kv ...any) map[string]int64 {
	out := map[string]int64{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = int64(kv[i+1].(int))
	}
	return out
}
