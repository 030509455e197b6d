package validate

import "strings"

var ruleDockerfileCopySDK = &Rule{
	Code: "MC408", Severity: SevWarning, Title: "compat: COPY form Modal's Python SDK refuses",
	Explain: "Modal's Python SDK, which inspect_sandboxes 0.3.0 builds with (Image.from_dockerfile), finds the files to " +
		"upload by reading each COPY line itself, split as shell words (extract_copy_command_patterns in " +
		"https://github.com/modal-labs/modal-client/blob/main/modal/_utils/docker_utils.py; the reference documents " +
		"context_dir as the directory \"for resolving relative COPY paths\": " +
		"https://modal.com/docs/reference/modal.Image#from_dockerfile). Unless the first flag is --from=, it takes every other word but the last as " +
		"a source, and raises InvalidError (\"COPY command: … using special flags/arguments/variables are not " +
		"supported\") for one that starts with -- (--chown, --chmod, --link, --parents, --exclude) or with $ (a " +
		"variable). It expands no variable, so a source with $ further in names no file there. It does not read the JSON form (COPY [\"a\", \"b\"]): its words keep the brackets and quotes, so " +
		"those files are not uploaded. docker accepts all three, and modalc uploads what they copy.",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			for _, in := range b.File.Instructions {
				if in.Cmd != "copy" || in.Copy == nil {
					continue
				}
				if len(in.Flags) > 0 && strings.HasPrefix(in.Flags[0], "--from=") {
					continue // the SDK skips the line: nothing to upload
				}
				path := b.File.Path
				switch {
				case len(in.Flags) > 0:
					flag, _, _ := strings.Cut(in.Flags[0], "=")
					c.Report(in.WordSpan(path, in.Flags[0]), "", "%s refuses COPY %s: it reads no flag but a leading --from", refSDK, flag).
						Hintf("set ownership and modes with a RUN chown/chmod after the COPY, or write --from= first")
				case in.JSON:
					c.Report(in.KeywordSpan(path), "", "%s does not read COPY's JSON form: these files would not be uploaded there", refSDK).
						Hintf("write the sources and destination as plain words")
				default:
					for _, s := range in.Copy.Sources {
						switch {
						case strings.HasPrefix(s, "$"):
							c.Report(in.ArgSpan(path, s), "", "%s refuses a COPY source that starts with a variable (%s)", refSDK, s).
								Hintf("write the path literally")
						case strings.Contains(s, "$"):
							c.Report(in.ArgSpan(path, s), "", "%s does not expand variables in COPY sources: it would upload nothing for %s", refSDK, s).
								Hintf("write the path literally")
						default:
							continue
						}
						break
					}
				}
			}
		}
	},
}
