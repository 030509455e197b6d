package validate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/modalc/modalc/internal/golden"
)

// Every test package imports internal/golden, so that go test ./... -update
// defines the flag everywhere.
var _ = golden.Update

// TestCatalogue checks the catalogue itself: codes unique and in order,
// each with a title, an explanation and a valid severity.
func TestCatalogue(t *testing.T) {
	code := regexp.MustCompile(`^MC[0-9]{3}$`)
	seen := map[Code]bool{}
	var prev Code
	for _, r := range Rules {
		if !code.MatchString(string(r.Code)) {
			t.Errorf("%q: a code is MC and three digits", r.Code)
		}
		if seen[r.Code] {
			t.Errorf("%s: listed twice", r.Code)
		}
		seen[r.Code] = true
		if r.Code <= prev {
			t.Errorf("%s: listed after %s; Rules is in code order", r.Code, prev)
		}
		prev = r.Code
		if strings.TrimSpace(r.Title) == "" {
			t.Errorf("%s: no Title", r.Code)
		}
		if strings.TrimSpace(r.Explain) == "" {
			t.Errorf("%s: no Explain", r.Code)
		}
		if r.Severity == 0 || r.Severity.String() == "invalid" {
			t.Errorf("%s: invalid severity %d", r.Code, r.Severity)
		}
	}
}

// TestCatalogueCoveredByGolden checks that every code is shown by at least
// one golden case in ../testdata/golden/*/diagnostics.txt, so each rule's
// output is reviewed as a whole. MC406 (a build context over 100 MiB) and
// MC005 (an input over 8 MiB) are too large for a golden case: their tests
// make the files (TestRuleDockerfileLargeContext, TestFileTooLarge).
func TestCatalogueCoveredByGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/golden/*/diagnostics.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden diagnostics: %v", err)
	}
	shown := map[string]bool{}
	re := regexp.MustCompile(`\[(MC[0-9]{3})\]:`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			shown[m[1]] = true
		}
	}
	for _, r := range Rules {
		c := string(r.Code)
		if c == "MC406" || c == "MC005" {
			continue
		}
		if !shown[c] {
			t.Errorf("%s (%s): no golden case shows it; add one under testdata/golden", c, r.Title)
		}
	}
}

// TestAttributesClassified checks that every attribute path of the compose
// specification is either lowered or classified by a pattern of
// attrClasses: classify's fallback (a warning saying nothing specific) is
// only for attributes the specification gains after this test last ran.
func TestAttributesClassified(t *testing.T) {
	paths := schema.AttributePaths()
	if len(paths) == 0 {
		t.Fatal("schema.AttributePaths() is empty")
	}
	for _, p := range paths {
		if isLowered(string(p)) || holdsLowered(string(p)) {
			continue
		}
		if _, pattern := classify(string(p)); pattern == "" {
			t.Errorf("%s: neither lowered nor classified; add it to Lowered or attrClasses", p)
		}
	}
}

// holdsLowered reports whether p is an ancestor of a lowered attribute
// ("services", "services.*"): compose-go descends into it and never
// reports it as a whole.
func holdsLowered(p string) bool {
	for _, l := range Lowered {
		if strings.HasPrefix(l, p+".") {
			return true
		}
	}
	return false
}

// TestAttrClassesPatterns checks that each pattern of attrClasses matches
// some attribute of the specification that is not lowered: a pattern that
// matches nothing is misspelt or dead.
func TestAttrClassesPatterns(t *testing.T) {
	var paths []string
	for _, p := range schema.AttributePaths() {
		if !isLowered(string(p)) {
			paths = append(paths, string(p))
		}
	}
	for pattern := range attrClasses {
		ps := strings.Split(pattern, ".")
		found := false
		for _, p := range paths {
			segs := strings.Split(p, ".")
			if len(segs) >= len(ps) && matchSegs(ps, segs[:len(ps)]) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("attrClasses[%q] matches no attribute modalc reports (misspelt, or lowered)", pattern)
		}
	}
}
