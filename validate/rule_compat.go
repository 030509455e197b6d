package validate

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/modalc/modalc/parse"
	"go.yaml.in/yaml/v4"
)

// The compat family: each rule is a place where inspect_sandboxes 0.3.0
// (on inspect_ai's compose parser), given the same file, does something
// else. They are warnings; --strict makes them errors.

const ref = "inspect_sandboxes"

var ruleCompatContext = &Rule{
	Code: "MC501", Severity: SevWarning, Title: "compat: build context taken from the Dockerfile's folder",
	Explain: "inspect_sandboxes 0.3.0 builds with the Dockerfile's own folder as the build context, not build.context. When build.dockerfile has a directory part, COPY sources resolve against a different folder there than in docker compose and modalc.",
	Check: func(c *Checker) {
		c.builds(func(s Service, b *parse.Build) {
			if b.ContextRemote || b.DockerfileMissing {
				return
			}
			if dir := filepath.Dir(b.Dockerfile); dir != b.Context {
				c.ReportAt(c.buildPath(s, "dockerfile"), true, "%s would use %s (the Dockerfile's folder) as the build context, not %s",
					ref, c.Src.Rel(dir), b.ContextRel)
			}
		})
	},
}

var ruleCompatBuildKeys = &Rule{
	Code: "MC502", Severity: SevWarning, Title: "compat: build key the reference parser rejects",
	Explain: "inspect_ai's compose parser knows only build.context and build.dockerfile: build.args, build.target and every other build key make it fail with \"Unknown field\", so inspect_sandboxes cannot load the file.",
	Check: func(c *Checker) {
		for _, s := range c.Services() {
			for _, k := range c.mappingKeys(s.Path("build")) {
				if k != "context" && k != "dockerfile" && !strings.HasPrefix(k, "x-") {
					c.ReportAt(s.Path("build."+k), false, "%s rejects build.%s (inspect_ai's parser: \"Unknown field\")", ref, k)
				}
			}
		}
	},
}

var ruleCompatEnvFile = &Rule{
	Code: "MC503", Severity: SevWarning, Title: "compat: env_file ignored by the reference",
	Explain: "inspect_sandboxes 0.3.0 ignores env_file: the variables it sets are missing from the sandbox there. modalc passes them (and never prints their values).",
	Check: func(c *Checker) {
		for _, s := range c.Services() {
			if len(s.Config.EnvFiles) > 0 {
				c.ReportAt(s.Path("env_file"), false, "%s ignores env_file: its variables would be missing from the sandbox", ref)
			}
		}
	},
}

var ruleCompatMemReservation = &Rule{
	Code: "MC504", Severity: SevWarning, Title: "compat: mem_reservation ignored by the reference",
	Explain: "inspect_sandboxes 0.3.0 reads the memory request from deploy.resources.reservations.memory only; the service-level mem_reservation is ignored there.",
	Check: func(c *Checker) {
		for _, s := range c.Services() {
			if _, ok := c.Src.Index.Lookup(s.Path("mem_reservation")); ok {
				c.ReportAt(s.Path("mem_reservation"), false, "%s ignores mem_reservation: it would request no memory", ref).
					Hintf("write deploy.resources.reservations.memory, which both read")
			}
		}
	},
}

var ruleCompatEntrypoint = &Rule{
	Code: "MC505", Severity: SevWarning, Title: "compat: entrypoint dropped by the reference",
	Explain: "inspect_sandboxes 0.3.0 runs command alone and drops entrypoint; modalc runs entrypoint then command, as docker compose does.",
	Check: func(c *Checker) {
		for _, s := range c.Services() {
			if _, ok := c.Src.Index.Lookup(s.Path("entrypoint")); ok {
				c.ReportAt(s.Path("entrypoint"), false, "%s drops entrypoint and runs command alone", ref).
					Hintf("fold the entrypoint into command to get the same argv from both")
			}
		}
	},
}

var ruleCompatInterpolation = &Rule{
	Code: "MC506", Severity: SevWarning, Title: "compat: interpolation sent literally by the reference",
	Explain: "inspect_sandboxes reads the compose file with a plain YAML parser: ${VAR}, $VAR and $$ reach Modal as written, and .env is not read. modalc interpolates as docker compose does.",
	Check: func(c *Checker) {
		seen := map[string]bool{}
		for _, v := range c.Src.Vars {
			key := fmt.Sprintf("%s\x00%s", v.Span, v.Text)
			if seen[key] {
				continue
			}
			seen[key] = true
			if v.Escaped {
				c.Report(v.Span, v.Path, "%s sends $$ literally, as two dollars", ref)
			} else {
				c.Report(v.Span, v.Path, "%s sends %s literally, without interpolating it", ref, v.Text)
			}
		}
	},
}

// refTopKeys and refServiceKeys are what inspect_ai's compose parser
// accepts; any other key (but x-*) fails with "Unknown field".
var (
	refTopKeys     = set("services", "volumes", "networks")
	refServiceKeys = set("image", "build", "command", "entrypoint", "working_dir", "environment", "env_file", "user",
		"healthcheck", "ports", "expose", "volumes", "networks", "network_mode", "hostname", "runtime", "init",
		"deploy", "mem_limit", "mem_reservation", "cpus")
	refDeployKeys = map[string]map[string]bool{
		"deploy":                        set("resources"),
		"deploy.resources":              set("limits", "reservations"),
		"deploy.resources.limits":       set("cpus", "memory"),
		"deploy.resources.reservations": set("cpus", "memory", "devices"),
	}
)

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

var ruleCompatUnknownKey = &Rule{
	Code: "MC507", Severity: SevWarning, Title: "compat: key the reference parser rejects",
	Explain: "inspect_ai's compose parser accepts services, volumes and networks at the top level (version, name, secrets, configs and include are rejected) and a fixed set of service keys (image, build, command, entrypoint, working_dir, environment, env_file, user, healthcheck, ports, expose, volumes, networks, network_mode, hostname, runtime, init, deploy.resources, mem_limit, mem_reservation, cpus). Any other key but x-* fails with \"Unknown field\", so inspect_sandboxes cannot load the file.",
	Check: func(c *Checker) {
		for _, k := range c.mappingKeys("") {
			if !refTopKeys[k] && !strings.HasPrefix(k, "x-") {
				c.ReportAt(k, false, "%s rejects the top-level key %s (inspect_ai's parser: \"Unknown field\")", ref, k)
			}
		}
		for _, svc := range c.mappingKeys("services") {
			base := "services." + svc
			for _, k := range c.mappingKeys(base) {
				if !refServiceKeys[k] && !strings.HasPrefix(k, "x-") {
					c.ReportAt(base+"."+k, false, "%s rejects the service key %s (inspect_ai's parser: \"Unknown field\")", ref, k)
				}
			}
			for _, sub := range []string{"deploy", "deploy.resources", "deploy.resources.limits", "deploy.resources.reservations"} {
				for _, k := range c.mappingKeys(base + "." + sub) {
					if !refDeployKeys[sub][k] && !strings.HasPrefix(k, "x-") {
						c.ReportAt(base+"."+sub+"."+k, false, "%s rejects %s.%s (inspect_ai's parser: \"Unknown field\")", ref, sub, k)
					}
				}
			}
		}
	},
}

// mappingKeys returns the keys the compose file writes in the mapping at
// path, in file order (none when it is not a mapping), then the keys a
// merge key ("<<: *anchor") brings in that the mapping does not set: the
// reference's YAML loader merges them too.
func (c *Checker) mappingKeys(path string) []string {
	e, ok := c.Src.Index.Lookup(path)
	if !ok || e.Node == nil || e.Node.Kind != yaml.MappingNode {
		return nil
	}
	var keys []string
	seen := map[string]bool{}
	var merged []*yaml.Node
	for i := 0; i+1 < len(e.Node.Content); i += 2 {
		if k := e.Node.Content[i].Value; k != "<<" {
			keys = append(keys, k)
			seen[k] = true
		} else {
			merged = append(merged, e.Node.Content[i+1])
		}
	}
	for _, m := range merged {
		for _, k := range mergedKeys(m, 0) {
			if !seen[k] {
				keys = append(keys, k)
				seen[k] = true
			}
		}
	}
	return keys
}

// mergedKeys lists the keys a merge value brings in: an alias of a
// mapping, a mapping, or a list of aliases, with their own merges.
func mergedKeys(v *yaml.Node, depth int) []string {
	if v == nil || depth > 8 {
		return nil
	}
	switch v.Kind {
	case yaml.AliasNode:
		return mergedKeys(v.Alias, depth+1)
	case yaml.SequenceNode:
		var keys []string
		for _, e := range v.Content {
			keys = append(keys, mergedKeys(e, depth+1)...)
		}
		return keys
	case yaml.MappingNode:
		var keys []string
		for i := 0; i+1 < len(v.Content); i += 2 {
			if k := v.Content[i].Value; k == "<<" {
				keys = append(keys, mergedKeys(v.Content[i+1], depth+1)...)
			} else {
				keys = append(keys, k)
			}
		}
		return keys
	}
	return nil
}

var ruleCompatTypes = &Rule{
	Code: "MC508", Severity: SevWarning, Title: "compat: value type the reference parser rejects",
	Explain: "inspect_ai's compose parser wants strings where compose also takes numbers and booleans: environment values, and the cpus and memory of deploy.resources, mem_limit and mem_reservation. An unquoted 1, true or 0.5 there fails its validation (\"Input should be a valid string\"). Quote the value. (Unquoted command and entrypoint items are refused by compose itself, as MC006.)",
	Check: func(c *Checker) {
		for _, svc := range c.mappingKeys("services") {
			base := "services." + svc
			c.nonStrings(base+".environment", true, "environment value")
			for _, p := range []string{"mem_limit", "mem_reservation", "deploy.resources.limits.cpus", "deploy.resources.limits.memory",
				"deploy.resources.reservations.cpus", "deploy.resources.reservations.memory"} {
				c.nonStrings(base+"."+p, false, p)
			}
		}
	},
}

// nonStrings reports plain scalars that YAML types as numbers or booleans:
// at path itself, or (children) at each item or value of the collection there.
func (c *Checker) nonStrings(path string, children bool, what string) {
	e, ok := c.Src.Index.Lookup(path)
	if !ok || e.Node == nil {
		return
	}
	check := func(p string, n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Style == 0 {
			switch n.ShortTag() {
			case "!!int", "!!float", "!!bool":
				d := c.ReportAt(p, true, "%s rejects the unquoted %s %s: it wants a string", ref, what, n.Value)
				if b, err := strconv.ParseInt(n.Value, 10, 64); err == nil && strings.Contains(what, "mem") {
					// A bare number is bytes to compose and MiB to the
					// reference: a unit makes both read the same. Under 1
					// MiB it surely meant MiB (MC203 says so).
					mib := b
					if b >= 1<<20 {
						mib = b >> 20
					}
					d.Hintf("write it as a quoted string with a unit, which both read alike: \"%dm\"", mib)
				} else {
					d.Hintf("quote it: %q", n.Value)
				}
			}
		}
	}
	if !children {
		check(path, e.Node)
		return
	}
	switch e.Node.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(e.Node.Content); i += 2 {
			check(path+"."+e.Node.Content[i].Value, e.Node.Content[i+1])
		}
	case yaml.SequenceNode:
		for i, n := range e.Node.Content {
			check(fmt.Sprintf("%s.%d", path, i), n)
		}
	}
}

// refComposeName is what inspect_ai recognises as a compose file name.
var refComposeName = regexp.MustCompile(`^(compose\.yaml|compose\.yml|docker-compose\.yaml|docker-compose\.yml)$|[-.]compose\.yaml$`)

var ruleCompatFileName = &Rule{
	Code: "MC509", Severity: SevWarning, Title: "compat: file name the reference does not recognise",
	Explain: "inspect_sandboxes takes a config file as compose only when its name is compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml or ends in -compose.yaml or .compose.yaml; any other name fails there with \"Unrecognized config\".",
	Check: func(c *Checker) {
		name := filepath.Base(c.Src.Path)
		if !refComposeName.MatchString(name) {
			c.Report(parse.Span{File: c.Src.Path, Start: parse.Pos{Line: 1, Column: 1}, End: parse.Pos{Line: 1, Column: 2}}, "",
				"%s does not recognise %q as a compose file (\"Unrecognized config\")", ref, name).
				Hintf("name it compose.yaml, or NAME-compose.yaml")
		}
	},
}
