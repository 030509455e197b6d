package validate

import (
	"fmt"
	"strings"

	"github.com/modalc/modalc/parse"
	"go.yaml.in/yaml/v4"
)

// predefinedArgs are the build args BuildKit accepts without an ARG: the
// proxy variables, and the ones that configure BuildKit itself.
var predefinedArgs = set("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
	"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "SOURCE_DATE_EPOCH")

var ruleDockerfileBuildArgUnused = &Rule{
	Code: "MC405", Severity: SevWarning, Title: "build arg that no ARG declares",
	Explain: "A key of build.args is declared by no ARG instruction of the Dockerfile, so the build ignores it (docker " +
		"warns that it was not consumed). It is usually a typo, or an ARG that was renamed. " +
		"The proxy variables (HTTP_PROXY, …) and BUILDKIT_* need no ARG.",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			if b.Service == nil {
				continue
			}
			declared := b.File.Args()
			names := sortedKeys(declared)
			for _, k := range sortedKeys(b.Service.Config.Build.Args) {
				if declared[k] || predefinedArgs[k] || strings.HasPrefix(k, "BUILDKIT_") {
					continue
				}
				path, span := c.buildArgSpan(*b.Service, k)
				d := c.Report(span, path, "build arg %s is declared by no ARG in %s: the build ignores it", k, b.File.Path)
				if m := didYouMean(k, names); m != "" {
					d.Hintf("did you mean %s?", m)
				} else {
					d.Hintf("declare it in the Dockerfile with ARG %s, or remove it", k)
				}
			}
		}
	},
}

// buildArgSpan finds where the compose file writes the build arg k: the
// key in the mapping form, the item in the list form (A=1).
func (c *Checker) buildArgSpan(s Service, k string) (string, parse.Span) {
	base := s.Path("build.args")
	if e, ok := c.Src.Index.Lookup(base + "." + k); ok {
		if parent, ok := c.Src.Index.Lookup(base); ok && parent.Node != nil && parent.Node.Kind == yaml.MappingNode {
			return base + "." + k, e.Span()
		}
	}
	if parent, ok := c.Src.Index.Lookup(base); ok && parent.Node != nil && parent.Node.Kind == yaml.SequenceNode {
		for i, item := range parent.Node.Content {
			if key, _, _ := strings.Cut(item.Value, "="); key == k {
				p := fmt.Sprintf("%s.%d", base, i)
				if e, ok := c.Src.Index.Lookup(p); ok {
					return p, e.Value
				}
			}
		}
	}
	return base, c.Span(base, false)
}
