package validate

var ruleDockerfileAddLocal = &Rule{
	Code: "MC407", Severity: SevWarning, Title: "compat: ADD of a local file",
	Explain: "Modal's Python SDK, which inspect_sandboxes 0.3.0 builds with (Image.from_dockerfile), uploads as the " +
		"build context only the files that COPY instructions name: it reads COPY lines alone " +
		"(extract_copy_command_patterns in https://github.com/modal-labs/modal-client/blob/main/modal/_utils/docker_utils.py; " +
		"the reference documents context_dir as the " +
		"directory \"for resolving relative COPY paths\": https://modal.com/docs/reference/modal.Image#from_dockerfile). " +
		"An ADD of a local file finds nothing there and the build fails. modalc uploads ADD sources too. Use COPY, " +
		"which both read (ADD also extracts a local tar archive; COPY does not).",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			if b.Manifest == nil {
				continue
			}
			seen := map[int]bool{}
			for _, s := range b.Manifest.Sources {
				if s.Cmd != "add" || s.Remote || seen[s.Instruction] {
					continue
				}
				seen[s.Instruction] = true
				in := b.File.Instructions[s.Instruction]
				c.Report(in.KeywordSpan(b.File.Path), "", "%s uploads only COPY sources: this ADD of a local file would find nothing to add there", refSDK).
					Hintf("use COPY (ADD also extracts a local tar archive; COPY does not)")
			}
		}
	},
}
