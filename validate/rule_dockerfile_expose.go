package validate

import (
	"slices"
	"strconv"
	"strings"
)

var ruleDockerfileExpose = &Rule{
	Code: "MC411", Severity: SevInfo, Title: "EXPOSE opens no port on Modal",
	Explain: "EXPOSE documents a port; on Modal a sandbox is reachable only on the ports its create call lists " +
		"(encrypted_ports, h2_ports, unencrypted_ports: \"ports to tunnel into the sandbox\", " +
		"https://modal.com/docs/reference/modal.Sandbox#create). List the port in x-modal.encrypted_ports (or " +
		"h2_ports, unencrypted_ports) of a compose file to reach it. Reported for the stage that runs only.",
	Check: func(c *Checker) {
		x := c.XModalDecoded()
		open := slices.Concat(x.EncryptedPorts, x.H2Ports, x.UnencryptedPorts)
		for _, b := range c.dockerBuilds() {
			for _, in := range finalStage(b.File) {
				if in.Cmd != "expose" {
					continue
				}
				for _, a := range in.Args {
					port, _, _ := strings.Cut(a, "/")
					if n, err := strconv.Atoi(port); err == nil && slices.Contains(open, n) {
						continue
					}
					c.Report(in.ArgSpan(b.File.Path, a), "", "EXPOSE %s opens no port on Modal", a).
						Hintf("list the port in x-modal.encrypted_ports to reach it")
				}
			}
		}
	},
}
