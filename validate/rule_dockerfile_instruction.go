package validate

import (
	"strings"

	"github.com/modalc/modalc/parse"
)

var ruleDockerfileUnknownInstruction = &Rule{
	Code: "MC401", Severity: SevError, Title: "unknown Dockerfile instruction",
	Explain: "BuildKit (docker's builder) knows a fixed set of instructions: FROM, RUN, COPY, ADD, ARG, ENV, WORKDIR, " +
		"USER, CMD, ENTRYPOINT, EXPOSE, VOLUME, LABEL, HEALTHCHECK, SHELL, STOPSIGNAL, ONBUILD and MAINTAINER. Any other " +
		"word at the start of an instruction (a typo such as COPPY, a missing \\ before a continuation line) makes docker " +
		"refuse the whole Dockerfile, and Modal's image builder with it.",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			for _, in := range b.File.Instructions {
				if !in.Unknown {
					continue
				}
				sp := in.KeywordSpan(b.File.Path)
				word := strings.TrimLeft(in.Raw, " \t")
				if i := strings.IndexAny(word, " \t"); i >= 0 {
					word = word[:i]
				}
				if word == "" {
					word = strings.ToUpper(in.Cmd)
				}
				d := c.Report(sp, "", "unknown instruction %s", word)
				if m := didYouMean(strings.ToLower(word), parse.Instructions()); m != "" {
					d.Hintf("did you mean %s?", strings.ToUpper(m))
				} else {
					d.Hintf("if this line continues the previous instruction, end that one with \\")
				}
			}
		}
	},
}
