package validate

import "strings"

var ruleDockerfilePlatform = &Rule{
	Code: "MC409", Severity: SevWarning, Title: "FROM --platform other than linux/amd64",
	Explain: "Modal runs linux/amd64 images: its guide to existing images requires that \"the image is built for the " +
		"linux/amd64 platform\" (https://modal.com/docs/guide/existing-images), and Image.from_registry says the same " +
		"(https://modal.com/docs/reference/modal.Image#from_registry). A stage that asks for another platform " +
		"(linux/arm64, …) gets an image Modal cannot run, or a build that fails. A platform given by a variable " +
		"($BUILDPLATFORM, $TARGETPLATFORM) is left to the builder and not reported.",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			for _, st := range b.File.Stages {
				p := strings.ToLower(strings.TrimSpace(st.Platform))
				if p == "" || strings.Contains(p, "$") || p == "linux/amd64" || strings.HasPrefix(p, "linux/amd64/") {
					continue
				}
				in := b.File.Instructions[stageInstruction(b, st.Index)]
				c.Report(in.WordSpan(b.File.Path, st.Platform), "", "FROM --platform=%s: Modal builds and runs linux/amd64 images", st.Platform).
					Hintf("use --platform=linux/amd64, or remove --platform")
			}
		}
	},
}

// stageInstruction returns the index of the FROM instruction of stage st.
func stageInstruction(b dockerBuild, st int) int {
	for i, in := range b.File.Instructions {
		if in.Cmd == "from" && in.Stage == st {
			return i
		}
	}
	return 0
}
