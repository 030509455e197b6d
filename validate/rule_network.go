package validate

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/modalc/modalc/lower"
)

var ruleCIDR = &Rule{
	Code: "MC107", Severity: SevError, Title: "invalid CIDR",
	Explain: "Each x-modal.cidr_allowlist entry must be an IPv4 or IPv6 network in CIDR notation, such as 10.0.0.0/8 or 2001:db8::/32.",
	Check: func(c *Checker) {
		for i, s := range c.XModalDecoded().CIDRAllowlist {
			if _, err := netip.ParsePrefix(s); err != nil {
				c.ReportAt(fmt.Sprintf("x-modal.cidr_allowlist.%d", i), true, "x-modal.cidr_allowlist: %q is not a CIDR", s).
					Hintf("write an address and a prefix length, e.g. 10.0.0.0/8")
			}
		}
	},
}

var ruleCIDREmpty = &Rule{
	Code: "MC108", Severity: SevWarning, Title: "empty cidr_allowlist",
	Explain: "x-modal.cidr_allowlist: [] is kept: it allows no address at all, which is the same as block_network: true. Say so plainly with block_network, or list the networks to allow.",
	Check: func(c *Checker) {
		x := c.XModalDecoded()
		if x.CIDRAllowlist != nil && len(x.CIDRAllowlist) == 0 {
			c.ReportAt("x-modal.cidr_allowlist", true, "x-modal.cidr_allowlist is empty: the sandbox can reach no address").
				Hintf("write block_network: true instead, or list the networks to allow")
		}
	},
}

// blocked returns the effective block_network and the attribute it comes from.
func (c *Checker) blocked() (bool, string) {
	x := c.XModalDecoded()
	if x.BlockNetwork != nil {
		return *x.BlockNetwork, "x-modal.block_network"
	}
	if svcs := c.Services(); len(svcs) > 0 {
		return lower.BlockNetwork(svcs[0].Config.NetworkMode, x), svcs[0].Path("network_mode")
	}
	return false, ""
}

var ruleCIDRBlocked = &Rule{
	Code: "MC109", Severity: SevError, Title: "cidr_allowlist with a blocked network",
	Explain: "x-modal.cidr_allowlist allows some outbound traffic; block_network: true (or network_mode: none) blocks all of it. Modal refuses both at once: keep one.",
	Check: func(c *Checker) {
		x := c.XModalDecoded()
		if x.CIDRAllowlist == nil {
			return
		}
		if b, from := c.blocked(); b {
			at := c.Span(from, true)
			c.ReportAt("x-modal.cidr_allowlist", false, "x-modal.cidr_allowlist conflicts with %s (%s), which blocks the network", attrName(from), at).
				Hintf("keep one: remove cidr_allowlist, or the setting that blocks the network")
		}
	},
}

var ports = []string{"encrypted_ports", "h2_ports", "unencrypted_ports"}

var rulePortTwice = &Rule{
	Code: "MC110", Severity: SevError, Title: "port in two lists",
	Explain: "A port is tunnelled one way: encrypted (TLS), HTTP/2, or unencrypted. Modal refuses a port listed under two of x-modal's port keys.",
	Check: func(c *Checker) {
		v, _ := c.XModal()
		m, _ := v.(map[string]any)
		seen := map[int]string{}
		for _, key := range ports {
			l, _ := m[key].([]any)
			for i, e := range l {
				p, ok := lower.Int(e)
				if !ok {
					continue
				}
				path := fmt.Sprintf("x-modal.%s.%d", key, i)
				if prev, dup := seen[p]; dup {
					// prev is "x-modal.KEY.N": name its list, and where it is.
					prevKey := prev[:strings.LastIndexByte(prev, '.')]
					c.ReportAt(path, true, "port %d is in x-modal.%s and already in %s (%s)", p, key, prevKey, c.Span(prev, true)).
						Hintf("keep the port in one list")
					continue
				}
				seen[p] = path
			}
		}
	},
}

var rulePortBlocked = &Rule{
	Code: "MC111", Severity: SevError, Title: "ports with a blocked network",
	Explain: "A tunnel needs the network: Modal refuses encrypted_ports, h2_ports or unencrypted_ports on a sandbox whose network is blocked (block_network: true, or network_mode: none without an x-modal override).",
	Check: func(c *Checker) {
		b, from := c.blocked()
		if !b {
			return
		}
		v, _ := c.XModal()
		m, _ := v.(map[string]any)
		for _, key := range ports {
			if l, _ := m[key].([]any); len(l) > 0 {
				c.ReportAt("x-modal."+key, false, "x-modal.%s needs the network, which %s (%s) blocks", key, attrName(from), c.Span(from, true)).
					Hintf("remove the ports, or unblock the network")
			}
		}
	},
}

// attrName shortens an attribute path for a message: the last two
// segments of "services.web.network_mode" are enough.
func attrName(path string) string {
	if len(path) > len("services.") && path[:len("services.")] == "services." {
		for i := len("services."); i < len(path); i++ {
			if path[i] == '.' {
				return path[i+1:]
			}
		}
	}
	return path
}
