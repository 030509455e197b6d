package validate

import (
	"strconv"

	"github.com/modalc/modalc/lower"
)

var ruleMemBytes = &Rule{
	Code: "MC203", Severity: SevError, Title: "memory below 1 MiB",
	Explain: "Compose reads a bare number as bytes: mem_limit: 512 asks for 512 bytes, which Modal cannot give (it counts memory in MiB). Add a unit: 512m, 2g. (inspect_sandboxes reads a quoted \"512\" as 512 MiB, so the same file means two different things; a unit settles it.)",
	Check: func(c *Checker) {
		for _, s := range c.Services() {
			r := lower.ResourcesOf(s.Name, s.Config)
			for _, m := range []lower.Setting[int64]{r.Memory, r.MemoryLimit} {
				if m.Set() && m.Value < 1<<20 {
					c.ReportAt(m.Path, true, "%s: %d bytes is under 1 MiB", attrName(m.Path), m.Value).
						Hintf("a bare number is bytes; did you mean %dm?", m.Value)
				}
			}
			// A setting that lost to deploy.resources is still a mistake
			// worth naming.
			for _, m := range []struct {
				v    int64
				attr string
			}{{int64(s.Config.MemLimit), "mem_limit"}, {int64(s.Config.MemReservation), "mem_reservation"}} {
				p := s.Path(m.attr)
				if m.v > 0 && m.v < 1<<20 && p != r.Memory.Path && p != r.MemoryLimit.Path {
					c.ReportAt(p, true, "%s: %d bytes is under 1 MiB", m.attr, m.v).
						Hintf("a bare number is bytes; did you mean %dm?", m.v)
				}
			}
		}
	},
}

var ruleRequestAboveLimit = &Rule{
	Code: "MC204", Severity: SevError, Title: "request above limit",
	Explain: "A cpu or memory request (deploy.resources.reservations, mem_reservation) larger than its limit (deploy.resources.limits, cpus, mem_limit): Modal refuses the sandbox. Lower the request or raise the limit.",
	Check: func(c *Checker) {
		for _, s := range c.Services() {
			r := lower.ResourcesOf(s.Name, s.Config)
			if r.CPU.Set() && r.CPULimit.Set() && lower.RoundCPU(r.CPU.Value) > lower.RoundCPU(r.CPULimit.Value) {
				c.ReportAt(r.CPU.Path, true, "cpu request %s is above the limit %s set by %s (%s)",
					fmtCPU(r.CPU.Value), fmtCPU(r.CPULimit.Value), attrName(r.CPULimit.Path), c.Span(r.CPULimit.Path, true)).
					Hintf("lower the request or raise the limit; Modal refuses a request above its limit")
			}
			if r.Memory.Set() && r.MemoryLimit.Set() && lower.MiB(r.Memory.Value) > lower.MiB(r.MemoryLimit.Value) {
				c.ReportAt(r.Memory.Path, true, "memory request %d MiB is above the limit %d MiB set by %s (%s)",
					lower.MiB(r.Memory.Value), lower.MiB(r.MemoryLimit.Value), attrName(r.MemoryLimit.Path), c.Span(r.MemoryLimit.Path, true)).
					Hintf("lower the request or raise the limit; Modal refuses a request above its limit")
			}
		}
	},
}

func fmtCPU(v float64) string { return strconv.FormatFloat(lower.RoundCPU(v), 'f', -1, 64) }
