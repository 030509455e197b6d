package validate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
)

var ruleLoosens = &Rule{
	Code: "MC301", Severity: SevError, Title: "attribute that would loosen isolation",
	Explain: "The file restricts the container in a way a Modal sandbox does not honour, so the sandbox would be less restricted than the file says: user (a sandbox runs as root), cap_drop, read_only, security_opt, pids_limit, ulimits, userns_mode, group_add, umask, a network with internal: true. Get the restriction another way (in the image, or in the command that runs), or remove the attribute to accept the difference knowingly.",
	Check:   func(c *Checker) { checkUntranslated(c, Loosens) },
}

var ruleChanges = &Rule{
	Code: "MC302", Severity: SevWarning, Title: "attribute that changes what runs",
	Explain: "The attribute is valid compose but a Modal sandbox does not do it: volumes are not mounted, ports are not published (use x-modal.encrypted_ports), health checks and dependencies do not run, and so on. The message says what the sandbox does instead. Every attribute of the compose specification that modalc does not translate is reported, including ones the specification adds later.",
	Check:   func(c *Checker) { checkUntranslated(c, Changes) },
}

var ruleCosmetic = &Rule{
	Code: "MC303", Severity: SevInfo, Title: "attribute with no effect on a sandbox",
	Explain: "The attribute changes nothing that matters in a sandbox (container_name, labels, logging, restart, pull_policy, stop_grace_period, stdin_open, tty, the top-level name and version). It is dropped.",
	Check:   func(c *Checker) { checkUntranslated(c, Cosmetic) },
}

func checkUntranslated(c *Checker, class Class) {
	for _, u := range c.Src.Unsupported {
		path := string(u.Path)
		at, via, ok := c.written(path)
		if !ok {
			continue
		}
		if path == "networks" && class == Loosens {
			c.checkInternalNetworks(u)
			continue
		}
		ac, _ := classify(path)
		if ac.Class != class {
			continue
		}
		name := attrName(path)
		if via != "" {
			name += " (from " + via + ")"
		}
		d := c.Report(c.Span(at, false), path, "%s is not translated: %s", name, ac.Instead)
		if ac.Hint != "" {
			d.Hint = ac.Hint
		}
	}
}

// written reports whether the compose file itself spells out path, and
// where to report it: at path, or, for an attribute that include or extends
// brought in, at the include or extends key (via names which). compose-go's
// normalisation adds attributes no one wrote; those are not worth a
// diagnostic.
func (c *Checker) written(path string) (at, via string, ok bool) {
	if _, ok := c.Src.Index.Lookup(path); ok {
		return path, "", true
	}
	segs := strings.SplitN(path, ".", 3)
	if len(segs) >= 3 && segs[0] == "services" {
		if _, ok := c.Src.Index.Lookup("services." + segs[1]); !ok {
			return "include", "include", true // the whole service came from an included file
		}
		// compose-go clears Extends once it has resolved it: ask the file.
		if ext := "services." + segs[1] + ".extends"; c.hasKey(ext) {
			return ext, "extends", true
		}
	}
	return "", "", false
}

func (c *Checker) hasKey(path string) bool {
	_, ok := c.Src.Index.Lookup(path)
	return ok
}

// checkInternalNetworks reports each top-level network with internal: true:
// the file cuts the container off from the outside, and a sandbox would not be.
func (c *Checker) checkInternalNetworks(u loader.UnsupportedAttribute) {
	m, _ := u.Value.(map[string]any)
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		net, _ := m[n].(map[string]any)
		if internal, _ := net["internal"].(bool); internal {
			c.ReportAt(fmt.Sprintf("networks.%s.internal", n), false, "network %q is internal: the sandbox would not be cut off from the outside", n).
				Hintf("write x-modal.block_network: true (or a cidr_allowlist) to restrict the sandbox's traffic")
		}
	}
}
