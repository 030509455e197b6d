package modalc_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modalc/modalc"
	"github.com/modalc/modalc/emit"
	"github.com/modalc/modalc/internal/golden"
)

// TestGolden plans every case in testdata/golden/<case>/ and compares the
// plan (plan.json, empty when there are errors) and the diagnostics
// (diagnostics.txt, empty when clean). The input is the case directory
// itself (auto-detected), or the file named in the case's "input" file.
// go test -update rewrites them; review the diff as code.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/golden/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			abs, err := filepath.Abs(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(abs)
			input := "."
			if b, err := os.ReadFile("input"); err == nil {
				input = strings.TrimSpace(string(b))
			}
			opts := modalc.Options{}
			if b, err := os.ReadFile("python"); err == nil {
				opts.Python = strings.TrimSpace(string(b))
			}
			res, err := modalc.Plan(context.Background(), input, opts)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			var diags bytes.Buffer
			res.Diagnostics.WriteText(&diags)
			var plan []byte
			if res.Plan != nil {
				if plan, err = emit.Marshal([]emit.Plan{*res.Plan}); err != nil {
					t.Fatal(err)
				}
			}
			golden.Check(t, filepath.Join(abs, "plan.json"), plan)
			golden.Check(t, filepath.Join(abs, "diagnostics.txt"), diags.Bytes())
		})
	}
}
