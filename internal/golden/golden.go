// Package golden compares test output with golden files, and rewrites them
// with go test -update. Every test package imports it (a package that does
// not would make `go test ./... -update` fail with "flag provided but not
// defined").
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files instead of comparing")

// Update reports whether golden files are being rewritten.
func Update() bool { return *update }

// Check compares got with the golden file, or writes it with -update.
func Check(t testing.TB, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", filepath.ToSlash(file), d)
	}
}
