package modalc_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modalc/modalc"
)

const corpus = "../shared/corpus"

// corpusFiles lists the compose files of ../shared/corpus (INDEX.tsv) with
// their service counts, or skips the test where the corpus is absent.
func corpusFiles(t testing.TB) (paths []string, services map[string]string) {
	f, err := os.Open(filepath.Join(corpus, "INDEX.tsv"))
	if err != nil {
		t.Skipf("the real-world corpus is not here (%v): it is ../shared/corpus beside the repository", err)
	}
	defer f.Close()
	services = map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 {
			continue
		}
		p := filepath.Join(corpus, cols[0])
		paths = append(paths, p)
		services[p] = cols[1]
	}
	return paths, services
}

// TestCorpus plans every real-world compose file: none may panic or fail
// with an I/O error, every diagnostic is positioned and coded, every
// multi-service file is refused (MC201), and every file that plans cleanly
// has exactly one service.
func TestCorpus(t *testing.T) {
	paths, services := corpusFiles(t)
	planned, refused := 0, 0
	for _, p := range paths {
		res, err := modalc.Plan(context.Background(), p, modalc.Options{})
		if err != nil {
			t.Errorf("%s: I/O error: %v", p, err)
			continue
		}
		codes := map[string]bool{}
		for _, d := range res.Diagnostics {
			codes[string(d.Code)] = true
			if d.Code == "" || d.Severity == 0 || d.Span.File == "" || d.Span.Start.Line < 1 {
				t.Errorf("%s: diagnostic without code or position: %+v", p, d)
			}
		}
		n := services[p]
		if n != "1" && n != "0" && !res.Diagnostics.HasErrors() {
			t.Errorf("%s: %s services but no error", p, n)
		}
		if n != "1" && n != "0" && !codes["MC201"] && res.Source != nil {
			t.Errorf("%s: %s services but no MC201: %v", p, n, res.Diagnostics)
		}
		if res.Plan != nil {
			planned++
			if res.Plan.Source.Service == "" {
				t.Errorf("%s: plan without a service", p)
			}
		} else {
			refused++
		}
	}
	t.Logf("%d corpus files: %d planned, %d refused with errors", len(paths), planned, refused)
}

// TestREADMECodes checks that the README's table lists every code.
func TestREADMECodes(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range allCodes() {
		if !strings.Contains(string(b), "| "+code+" |") {
			t.Errorf("README.md does not list %s", code)
		}
	}
}
