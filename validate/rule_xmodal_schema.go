package validate

import (
	"strings"

	"github.com/modalc/modalc/schema"
)

var ruleXModalSchema = &Rule{
	Code: "MC101", Severity: SevError, Title: "x-modal value of the wrong type or out of range",
	Explain: "The top-level x-modal block is checked against modalc's JSON Schema (modalc schema prints it; editors can use it): timeout and idle_timeout are integers from 1 to 86400 seconds, ports integers from 1 to 65535, cloud one of aws, gcp, oci, auto, secrets Modal object names. null for any key means \"no override\".",
	Check:   func(c *Checker) { checkXModalSchema(c, false) },
}

var ruleXModalUnknownKey = &Rule{
	Code: "MC102", Severity: SevError, Title: "unknown x-modal key",
	Explain: "x-modal accepts only the keys in its schema (modalc schema). A typo would otherwise be ignored silently, as inspect_sandboxes does: x-modal.timout: 60 would leave the 24-hour default in place.",
	Check:   func(c *Checker) { checkXModalSchema(c, true) },
}

// sdkObjectKeys are x-modal keys of Modal's Python API that need SDK
// objects, which a compose file cannot express.
var sdkObjectKeys = map[string]string{
	"volumes":              "Modal volumes are SDK objects (modal.Volume)",
	"network_file_systems": "network file systems are SDK objects (modal.NetworkFileSystem)",
	"proxy":                "proxies are SDK objects (modal.Proxy)",
}

func checkXModalSchema(c *Checker, unknownKeys bool) {
	v, ok := c.XModal()
	if !ok {
		return
	}
	if m, isMap := v.(map[string]any); isMap {
		trimmed := make(map[string]any, len(m))
		for k, val := range m {
			if _, sdk := sdkObjectKeys[k]; !sdk {
				trimmed[k] = val
			}
		}
		v = trimmed
	}
	problems, err := schema.Validate(v)
	if err != nil {
		c.ReportAt("x-modal", true, "x-modal cannot be checked: %v", err)
		return
	}
	for _, p := range problems {
		path := "x-modal"
		if len(p.Path) > 0 {
			path += "." + strings.Join(p.Path, ".")
		}
		switch {
		case p.Key && unknownKeys:
			key := p.Path[len(p.Path)-1]
			d := c.ReportAt(path, false, "unknown x-modal key %q", key)
			if s := didYouMean(key, schema.Keys()); s != "" {
				d.Hintf("did you mean %q?", s)
			} else {
				d.Hintf("the keys are %s", strings.Join(schema.Keys(), ", "))
			}
		case !p.Key && !unknownKeys:
			// A problem with the block itself already says "x-modal: …".
			msg := p.Message
			if len(p.Path) > 0 {
				msg = "x-modal." + msg
			}
			c.ReportAt(path, true, "%s", msg).Hint = schemaHint(p)
		}
	}
}

func schemaHint(p schema.Problem) string {
	if len(p.Path) == 0 {
		return "write x-modal: as a mapping of the keys in modalc schema"
	}
	return "null keeps the value compose implies; see modalc explain MC101"
}

var ruleXModalSDKObject = &Rule{
	Code: "MC103", Severity: SevError, Title: "x-modal key that needs an SDK object",
	Explain: "x-modal.volumes, network_file_systems and proxy name objects of Modal's Python SDK (modal.Volume, modal.NetworkFileSystem, modal.Proxy), which a compose file cannot express. Create the sandbox from Python for those, or copy files in with modalc cp.",
	Check: func(c *Checker) {
		v, _ := c.XModal()
		m, _ := v.(map[string]any)
		for _, k := range sortedKeys(m) {
			if why, ok := sdkObjectKeys[k]; ok {
				c.ReportAt("x-modal."+k, false, "x-modal.%s is not supported: %s, not expressible in a compose file", k, why).
					Hintf("remove it; copy files in with modalc cp, or create the sandbox from Python")
			}
		}
	},
}

var ruleXModalInService = &Rule{
	Code: "MC104", Severity: SevError, Title: "x-modal under a service",
	Explain: "x-modal belongs at the top level of the compose file. Under a service it is ignored by inspect_sandboxes and by modalc alike.",
	Check: func(c *Checker) {
		for _, s := range c.Services() {
			if _, ok := s.Config.Extensions["x-modal"]; ok {
				c.ReportAt(s.Path("x-modal"), false, "x-modal under service %q is ignored: it belongs at the top level", s.Name).
					Hintf("move the block to the top level of the file, beside services:")
			}
		}
	},
}
