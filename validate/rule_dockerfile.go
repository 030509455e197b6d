package validate

import (
	"github.com/modalc/modalc/parse"
)

// The Dockerfile and build context family (MC4xx): rules over the parsed
// Dockerfile of every build and over its build context manifest. They run
// for Dockerfile inputs too, and report at the Dockerfile's own lines.

// A dockerBuild is a build whose Dockerfile was read: a compose service's
// build (Service set) or a Dockerfile input (Service nil).
type dockerBuild struct {
	Service *Service
	*parse.Build
}

// dockerBuilds returns the builds with a parsed Dockerfile, in service
// order.
func (c *Checker) dockerBuilds() []dockerBuild {
	if c.Src.Kind == parse.KindDockerfile {
		if b := c.Src.Build; b != nil && b.File != nil {
			return []dockerBuild{{Build: b}}
		}
		return nil
	}
	var out []dockerBuild
	for _, s := range c.Services() {
		if b := c.Src.Builds[s.Name]; b != nil && b.File != nil && s.Config.Build != nil {
			out = append(out, dockerBuild{Service: &s, Build: b})
		}
	}
	return out
}

// finalStage returns the instructions that shape the image that runs: the
// last stage's, and, when it starts FROM an earlier stage, that stage's
// before them (transitively). Earlier ones come first.
func finalStage(df *parse.Dockerfile) []parse.Instruction {
	var chain []int
	seen := map[int]bool{}
	for st := len(df.Stages) - 1; st >= 0 && !seen[st]; {
		seen[st] = true
		chain = append([]int{st}, chain...)
		st = df.StageOf(df.Stages[st].Base)
	}
	var out []parse.Instruction
	for _, st := range chain {
		for _, in := range df.Instructions {
			if in.Stage == st {
				out = append(out, in)
			}
		}
	}
	return out
}

// ref is how the compat rules of this family name the reference.
const refSDK = ref + " (through Modal's Python SDK, Image.from_dockerfile)"
