package validate

var ruleDockerfileEntrypoint = &Rule{
	Code: "MC410", Severity: SevWarning, Title: "Dockerfile ENTRYPOINT kept under the service's entrypoint",
	Explain: "In docker compose, a service's entrypoint replaces the image's ENTRYPOINT. On Modal, the sandbox's " +
		"command replaces only the image's CMD (Sandbox.create: the arguments \"Set the CMD of the Sandbox, " +
		"overriding any CMD of the container image\", https://modal.com/docs/reference/modal.Sandbox#create), and the " +
		"image's ENTRYPOINT stays: modalc sends entrypoint then command as the sandbox's command, so the Dockerfile's " +
		"ENTRYPOINT runs with them as its arguments (Modal's guide asks for images with a \"compatible ENTRYPOINT\": " +
		"https://modal.com/docs/guide/existing-images). Reset it with ENTRYPOINT [] at the end of the Dockerfile, or " +
		"fold the service's entrypoint into command.",
	Check: func(c *Checker) {
		for _, b := range c.dockerBuilds() {
			if b.Service == nil {
				continue
			}
			if _, ok := c.Src.Index.Lookup(b.Service.Path("entrypoint")); !ok {
				continue
			}
			last := -1
			final := finalStage(b.File)
			for i, in := range final {
				if in.Cmd == "entrypoint" {
					last = i
				}
			}
			if last < 0 || len(final[last].Args) == 0 {
				continue // none, or reset with ENTRYPOINT []
			}
			in := final[last]
			c.Report(in.KeywordSpan(b.File.Path), "", "Modal keeps this ENTRYPOINT and runs services.%s.entrypoint and command as its arguments; docker compose replaces it",
				b.Service.Name).
				Hintf("end the Dockerfile with ENTRYPOINT [], or fold the service's entrypoint into command")
		}
	},
}
