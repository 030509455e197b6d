package lower

import (
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"
)

// A Setting is a value and the compose attribute it came from. An empty
// Path means the value is not set.
type Setting[T any] struct {
	Value T
	Path  string // e.g. "services.web.deploy.resources.limits.memory"
}

// Set reports whether the setting has a value.
func (s Setting[T]) Set() bool { return s.Path != "" }

// Resources are a service's cpu and memory settings after precedence and
// before the shape rule. Memory is in bytes, as compose writes it.
type Resources struct {
	CPU         Setting[float64] // request
	CPULimit    Setting[float64]
	Memory      Setting[int64] // request, bytes
	MemoryLimit Setting[int64] // bytes
}

// ResourcesOf applies DESIGN's precedence: deploy.resources wins over the
// service-level cpus, mem_limit and mem_reservation. A zero value is unset,
// as in compose.
func ResourcesOf(name string, svc types.ServiceConfig) Resources {
	p := func(attr string) string { return fmt.Sprintf("services.%s.%s", name, attr) }
	var r Resources
	var lim, res *types.Resource
	if svc.Deploy != nil {
		lim, res = svc.Deploy.Resources.Limits, svc.Deploy.Resources.Reservations
	}
	if res != nil && res.NanoCPUs > 0 {
		r.CPU = Setting[float64]{float64(res.NanoCPUs), p("deploy.resources.reservations.cpus")}
	}
	switch {
	case lim != nil && lim.NanoCPUs > 0:
		r.CPULimit = Setting[float64]{float64(lim.NanoCPUs), p("deploy.resources.limits.cpus")}
	case svc.CPUS > 0:
		r.CPULimit = Setting[float64]{float64(svc.CPUS), p("cpus")}
	}
	switch {
	case res != nil && res.MemoryBytes > 0:
		r.Memory = Setting[int64]{int64(res.MemoryBytes), p("deploy.resources.reservations.memory")}
	case svc.MemReservation > 0:
		r.Memory = Setting[int64]{int64(svc.MemReservation), p("mem_reservation")}
	}
	switch {
	case lim != nil && lim.MemoryBytes > 0:
		r.MemoryLimit = Setting[int64]{int64(lim.MemoryBytes), p("deploy.resources.limits.memory")}
	case svc.MemLimit > 0:
		r.MemoryLimit = Setting[int64]{int64(svc.MemLimit), p("mem_limit")}
	}
	return r
}

// Shape applies the reference's shape rule to a request and a limit (0 =
// unset): both set → both; only a limit → it becomes the request and no
// limit is sent; only a request → the request.
func Shape[T int | int64 | float64](request, limit T) (T, T) {
	if request == 0 && limit != 0 {
		return limit, 0
	}
	return request, limit
}

// MiB converts bytes to MiB, rounded down.
func MiB(bytes int64) int { return int(bytes >> 20) }

// RoundCPU rounds a cpu count to the millicore Modal accepts, removing the
// float32 noise compose-go's types carry (0.1 → 0.10000000149).
func RoundCPU(v float64) float64 {
	m := int64(v*1000 + 0.5)
	return float64(m) / 1000
}

// GPURequest is the GPU a service's devices ask for.
type GPURequest struct {
	GPU  string // "ANY", "ANY:n"; empty = none
	All  bool   // count: all, which Modal cannot express
	Path string // attribute path of the device entry
}

// GPUFromDevices applies DESIGN's device rule: the first reservation device
// whose capabilities contain "gpu"; count n ≥ 1 → ANY:n; else device_ids →
// ANY:len; else ANY (count: 0 included, as the reference).
func GPUFromDevices(name string, svc types.ServiceConfig) GPURequest {
	if svc.Deploy == nil || svc.Deploy.Resources.Reservations == nil {
		return GPURequest{}
	}
	for i, d := range svc.Deploy.Resources.Reservations.Devices {
		gpu := false
		for _, c := range d.Capabilities {
			if c == "gpu" {
				gpu = true
			}
		}
		if !gpu {
			continue
		}
		r := GPURequest{Path: fmt.Sprintf("services.%s.deploy.resources.reservations.devices.%d", name, i)}
		switch {
		case d.Count < 0:
			r.All = true
		case d.Count >= 1:
			r.GPU = fmt.Sprintf("ANY:%d", d.Count)
		case len(d.IDs) > 0:
			r.GPU = fmt.Sprintf("ANY:%d", len(d.IDs))
		default:
			r.GPU = "ANY"
		}
		return r
	}
	return GPURequest{}
}
