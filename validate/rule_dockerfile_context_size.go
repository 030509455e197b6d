package validate

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/modalc/modalc/parse"
)

// largeContext is the build context size above which MC406 warns, in bytes.
const largeContext = 100 << 20

var ruleDockerfileLargeContext = &Rule{
	Code: "MC406", Severity: SevWarning, Title: "large build context",
	Explain: "The files the Dockerfile copies from the build context add up to more than 100 MiB. All of them are " +
		"uploaded to Modal before the build starts, and the image carries them. The message names the largest entries " +
		"and the hint the ignore file line that would leave out the biggest directory; data a sandbox needs at run " +
		"time is often better in a Modal Volume than in the image.",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			m := b.Manifest
			if m == nil || m.Bytes <= largeContext {
				continue
			}
			biggest := slices.Clone(m.Entries)
			slices.SortStableFunc(biggest, func(x, y parse.ManifestEntry) int { return cmp.Compare(y.Size, x.Size) })
			var top []string
			for _, e := range biggest[:min(3, len(biggest))] {
				top = append(top, fmt.Sprintf("%s (%s)", e.Path, parse.HumanBytes(e.Size)))
			}
			// Report at the source that brings the most bytes.
			at := 0
			for i, s := range m.Sources {
				if s.Bytes > m.Sources[at].Bytes {
					at = i
				}
			}
			d := c.Report(m.Sources[at].Span, "", "build context is %s in %d files, over %s; largest: %s",
				parse.HumanBytes(m.Bytes), len(m.Entries), parse.HumanBytes(largeContext), strings.Join(top, ", "))
			dir, size := heaviestDir(m.Entries)
			ignore := path.Join(b.ContextPath, ".dockerignore")
			if m.Ignore != nil {
				ignore = m.Ignore.Path
			}
			d.Hintf("if the image does not need %s (%s), add the line %q to %s", dir, parse.HumanBytes(size), dir, ignore)
		}
	},
}

// heaviestDir returns the directory (or, at the top, the file) whose
// entries weigh the most, going down while one child holds most of it.
func heaviestDir(entries []parse.ManifestEntry) (string, int64) {
	prefix := ""
	var total int64
	for {
		sizes := map[string]int64{}
		total = 0
		for _, e := range entries {
			if prefix != "" && !strings.HasPrefix(e.Path, prefix+"/") {
				continue
			}
			rest := strings.TrimPrefix(strings.TrimPrefix(e.Path, prefix), "/")
			first, _, _ := strings.Cut(rest, "/")
			sizes[first] += e.Size
			total += e.Size
		}
		best := ""
		for _, k := range sortedKeys(sizes) {
			if best == "" || sizes[k] > sizes[best] {
				best = k
			}
		}
		next := path.Join(prefix, best)
		isDir := false
		for _, e := range entries {
			if strings.HasPrefix(e.Path, next+"/") {
				isDir = true
				break
			}
		}
		// Descend while one directory holds at least 80% of the bytes.
		if !isDir || sizes[best]*5 < total*4 {
			if prefix == "" || sizes[best]*5 >= total*4 {
				return next, sizes[best]
			}
			return prefix, total
		}
		prefix = next
	}
}
