package validate

var ruleDockerfileIgnoreFile = &Rule{
	Code: "MC412", Severity: SevError, Title: "invalid .dockerignore",
	Explain: "A pattern of the ignore file (<Dockerfile>.dockerignore beside the Dockerfile, else .dockerignore at the " +
		"root of the build context) is refused by docker's own matcher (moby/patternmatcher): an unclosed [, a " +
		"trailing \\, or a line that is only \"!\". docker refuses the build context, and modalc cannot tell which " +
		"files the build reads. Reported by package parse, at the pattern's line.",
}
