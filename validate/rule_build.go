package validate

import (
	"strings"

	"github.com/modalc/modalc/parse"
)

// builds calls fn for each service's build, with the attribute path of the
// service's build key.
func (c *Checker) builds(fn func(s Service, b *parse.Build)) {
	for _, s := range c.Services() {
		if b := c.Src.Builds[s.Name]; b != nil && s.Config.Build != nil {
			fn(s, b)
		}
	}
}

// buildPath returns the path of a build sub-attribute, or of build itself
// when the file uses the short (string) form.
func (c *Checker) buildPath(s Service, attr string) string {
	if _, ok := c.Src.Index.Lookup(s.Path("build." + attr)); ok {
		return s.Path("build." + attr)
	}
	return s.Path("build")
}

var ruleBuildContext = &Rule{
	Code: "MC206", Severity: SevError, Title: "build context missing",
	Explain: "The build context directory (build: or build.context, relative to the compose file) does not exist or is not a directory, so there is nothing to build from.",
	Check: func(c *Checker) {
		c.builds(func(s Service, b *parse.Build) {
			switch {
			case b.ContextMissing:
				c.ReportAt(c.buildPath(s, "context"), true, "build context %s does not exist", b.ContextPath).
					Hintf("build.context is relative to the compose file's directory")
			case b.ContextNotDir:
				c.ReportAt(c.buildPath(s, "context"), true, "build context %s is not a directory", b.ContextPath).
					Hintf("name the directory that holds the Dockerfile and the files it copies")
			}
		})
	},
}

var ruleDockerfileMissing = &Rule{
	Code: "MC207", Severity: SevError, Title: "Dockerfile missing",
	Explain: "The Dockerfile (build.dockerfile, relative to the build context; Dockerfile by default) does not exist or is a directory.",
	Check: func(c *Checker) {
		c.builds(func(s Service, b *parse.Build) {
			if b.ContextMissing || b.ContextNotDir {
				return
			}
			switch {
			case b.DockerfileMissing:
				c.ReportAt(c.buildPath(s, "dockerfile"), true, "Dockerfile %s does not exist", b.DockerfilePath).
					Hintf("build.dockerfile is relative to the build context")
			case b.DockerfileIsDir:
				c.ReportAt(c.buildPath(s, "dockerfile"), true, "Dockerfile %s is a directory", b.DockerfilePath).
					Hintf("name the file: build.dockerfile is relative to the build context")
			}
		})
	},
}

var ruleBuildTarget = &Rule{
	Code: "MC208", Severity: SevError, Title: "build.target is not the last stage",
	Explain: "Modal's image builder builds a Dockerfile to its last stage; it has no target. build.target is accepted only when it names the last stage (where it changes nothing); otherwise the sandbox would run a different image than docker compose builds.",
	Check: func(c *Checker) {
		c.builds(func(s Service, b *parse.Build) {
			t := s.Config.Build.Target
			if t == "" || b.File == nil {
				return
			}
			last := b.File.Stages[len(b.File.Stages)-1]
			if strings.EqualFold(last.Name, t) {
				return
			}
			found := false
			for _, st := range b.File.Stages {
				found = found || strings.EqualFold(st.Name, t)
			}
			path := s.Path("build.target")
			if !found {
				c.ReportAt(path, true, "build.target %q names no stage of %s", t, b.DockerfilePath).
					Hintf("stages are named with FROM <image> AS <name>")
				return
			}
			d := c.ReportAt(path, true, "build.target %q is not the last stage of %s; Modal builds to the last stage", t, b.DockerfilePath)
			if last.Name != "" {
				d.Hintf("make %q the last stage, or remove target (the last stage is %q)", t, last.Name)
			} else {
				d.Hintf("make %q the last stage of the Dockerfile", t)
			}
		})
	},
}

var ruleRemoteContext = &Rule{
	Code: "MC209", Severity: SevError, Title: "remote build context",
	Explain: "The build context is a URL (a git repository or a tarball). Modal builds images from local files it uploads; clone the repository and point build.context at it.",
	Check: func(c *Checker) {
		c.builds(func(s Service, b *parse.Build) {
			if b.ContextRemote {
				c.ReportAt(c.buildPath(s, "context"), true, "build context %s is a URL; Modal builds from local files only", b.ContextPath).
					Hintf("clone it and point build.context at the local directory")
			}
		})
	},
}
