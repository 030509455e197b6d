package lower

import (
	"math"
	"strings"
)

// XModal is the top-level x-modal block, decoded. A nil field is "no
// override": absent or null in the file.
type XModal struct {
	Timeout       *int
	IdleTimeout   *int
	GPU           *string
	Cloud         *string
	Regions       []string // nil = no override
	BlockNetwork  *bool
	CIDRAllowlist []string // nil = no override; empty non-nil = allow nothing
	Secrets       []string
	PTY           *bool
	Verbose       *bool
	CustomDomain  *string

	EncryptedPorts   []int
	H2Ports          []int
	UnencryptedPorts []int
}

// DecodeXModal reads the x-modal value as compose-go decoded it. Values of
// the wrong type are skipped (validate reports them).
func DecodeXModal(v any) XModal {
	var x XModal
	m, _ := v.(map[string]any)
	for k, val := range m {
		if val == nil {
			continue
		}
		switch k {
		case "timeout":
			x.Timeout = intPtr(val)
		case "idle_timeout":
			x.IdleTimeout = intPtr(val)
		case "gpu":
			x.GPU = strPtr(val)
		case "cloud":
			x.Cloud = strPtr(val)
		case "custom_domain":
			x.CustomDomain = strPtr(val)
		case "region":
			x.Regions = strList(val)
		case "secrets":
			x.Secrets = strList(val)
		case "cidr_allowlist":
			if l, ok := val.([]any); ok {
				x.CIDRAllowlist = []string{}
				for _, e := range l {
					if s, ok := e.(string); ok {
						x.CIDRAllowlist = append(x.CIDRAllowlist, s)
					}
				}
			}
		case "block_network":
			x.BlockNetwork = boolPtr(val)
		case "pty":
			x.PTY = boolPtr(val)
		case "verbose":
			x.Verbose = boolPtr(val)
		case "encrypted_ports":
			x.EncryptedPorts = intList(val)
		case "h2_ports":
			x.H2Ports = intList(val)
		case "unencrypted_ports":
			x.UnencryptedPorts = intList(val)
		}
	}
	return x
}

// Int reads an integer as YAML and JSON decoders deliver it.
func Int(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			return int(n), true
		}
	case uint64:
		if n <= math.MaxInt32 {
			return int(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) <= math.MaxInt32 {
			return int(n), true
		}
	}
	return 0, false
}

func intPtr(v any) *int {
	if n, ok := Int(v); ok {
		return &n
	}
	return nil
}

func strPtr(v any) *string {
	if s, ok := v.(string); ok {
		return &s
	}
	return nil
}

func boolPtr(v any) *bool {
	if b, ok := v.(bool); ok {
		return &b
	}
	return nil
}

func strList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := []string{}
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func intList(v any) []int {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []int
	for _, e := range l {
		if n, ok := Int(e); ok {
			out = append(out, n)
		}
	}
	return out
}

// NormalizeGPU upper-cases a GPU type, as Modal does: "a100:2" → "A100:2".
func NormalizeGPU(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// BlockNetwork is the effective block_network: x-modal's when set, else
// network_mode: none.
func BlockNetwork(networkMode string, x XModal) bool {
	if x.BlockNetwork != nil {
		return *x.BlockNetwork
	}
	return networkMode == "none"
}
