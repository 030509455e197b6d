package validate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modalc/modalc/lower"
	"github.com/modalc/modalc/schema"
)

// GPUTypes are the types Modal's GPU guide lists.
var GPUTypes = []string{"T4", "L4", "A10", "A10G", "L40S", "A100", "A100-40GB", "A100-80GB", "RTX-PRO-6000", "H100", "H100!", "H200", "B200", "B200+", "ANY"}

var ruleGPUType = &Rule{
	Code: "MC105", Severity: SevWarning, Title: "unknown GPU type",
	Explain: "x-modal.gpu names a type that Modal's GPU guide does not list (T4, L4, A10, A10G, L40S, A100, A100-40GB, A100-80GB, RTX-PRO-6000, H100, H100!, H200, B200, B200+, ANY). Modal adds types over time, so this is a warning; Modal refuses an unknown type when the sandbox is created.",
	Check: func(c *Checker) {
		x := c.XModalDecoded()
		if x.GPU == nil || !gpuWellFormed(*x.GPU) {
			return
		}
		typ, _, _ := strings.Cut(lower.NormalizeGPU(*x.GPU), ":")
		for _, t := range GPUTypes {
			if typ == t {
				return
			}
		}
		d := c.ReportAt("x-modal.gpu", true, "x-modal.gpu: %q is not a GPU type Modal lists", typ)
		if s := didYouMean(typ, GPUTypes); s != "" {
			d.Hintf("did you mean %q?", s)
		} else {
			d.Hintf("Modal lists %s", strings.Join(GPUTypes, ", "))
		}
	},
}

var ruleGPUCount = &Rule{
	Code: "MC106", Severity: SevError, Title: "GPU count out of range",
	Explain: "A sandbox gets 1 to 8 GPUs of one type (1 to 4 for A10). The count is the part after the colon of x-modal.gpu (\"H100:2\"), or deploy.resources.reservations.devices[].count.",
	Check: func(c *Checker) {
		x := c.XModalDecoded()
		gpu, path := "", "x-modal.gpu"
		if x.GPU != nil {
			if !gpuWellFormed(*x.GPU) {
				return
			}
			gpu = lower.NormalizeGPU(*x.GPU)
		} else {
			for _, s := range c.Services() {
				r := lower.GPUFromDevices(s.Name, s.Config)
				gpu, path = r.GPU, r.Path+".count"
			}
		}
		typ, count, ok := strings.Cut(gpu, ":")
		if !ok {
			return
		}
		max := 8
		if typ == "A10" || typ == "A10G" {
			max = 4
		}
		n, err := strconv.Atoi(count)
		if err != nil || n < 1 || n > max {
			c.ReportAt(path, true, "%s GPUs of type %s: a sandbox gets 1 to %d", quoteCount(count), typ, max).
				Hintf("write a count from 1 to %d, e.g. %s:%d", max, typ, min(max, 1))
		}
	},
}

// gpuWellFormed reports whether an x-modal.gpu value passes the schema
// (TYPE or TYPE:COUNT). One that does not is reported once, by MC101, not
// again as an unknown type or a bad count.
func gpuWellFormed(gpu string) bool {
	problems, err := schema.Validate(map[string]any{"gpu": gpu})
	return err == nil && len(problems) == 0
}

func quoteCount(s string) string {
	if _, err := strconv.Atoi(s); err == nil {
		return s
	}
	return fmt.Sprintf("%q", s)
}

var ruleGPUAll = &Rule{
	Code: "MC205", Severity: SevError, Title: "GPU count: all",
	Explain: "deploy.resources.reservations.devices[].count: all asks for every GPU of the host; a Modal sandbox asks for a number of one type. inspect_sandboxes would send \"ANY:all\", which Modal refuses. Write x-modal.gpu (e.g. \"H100:8\"), which replaces the devices entry.",
	Check: func(c *Checker) {
		if c.XModalDecoded().GPU != nil {
			return
		}
		for _, s := range c.Services() {
			if r := lower.GPUFromDevices(s.Name, s.Config); r.All {
				c.ReportAt(r.Path+".count", true, "count: all cannot be expressed on Modal: a sandbox asks for a number of GPUs of one type").
					Hintf("write x-modal.gpu at the top level, e.g. gpu: \"H100:8\"; it replaces this device")
			}
		}
	},
}
