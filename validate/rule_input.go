package validate

// The input family: problems found while reading a file, reported by package
// parse as *parse.Error and turned into diagnostics by FromError. They have
// no Check of their own.

var ruleSyntax = &Rule{
	Code: "MC001", Severity: SevError, Title: "invalid YAML",
	Explain: "The file is not well-formed YAML: a bad indent, an unclosed quote or bracket, a tab used for indentation, or an alias bomb (anchors that expand to more data than a compose file can hold). The position is where the YAML parser stopped.",
}

var ruleEmpty = &Rule{
	Code: "MC002", Severity: SevError, Title: "empty compose file",
	Explain: "The compose file has nothing but whitespace and comments. Write a services: mapping with one service, or point modalc at a directory with no compose file to get Modal's default image.",
}

var ruleBinary = &Rule{
	Code: "MC003", Severity: SevError, Title: "binary file",
	Explain: "The file contains a NUL byte, so it is not text: probably the wrong file was named.",
}

var ruleEncoding = &Rule{
	Code: "MC004", Severity: SevError, Title: "not UTF-8",
	Explain: "Compose files and Dockerfiles must be UTF-8. The position is the first byte that is not; re-save the file as UTF-8.",
}

var ruleTooLarge = &Rule{
	Code: "MC005", Severity: SevError, Title: "file too large",
	Explain: "modalc reads input files (compose files, env files, Dockerfiles) of at most 8 MiB, and compose files of at most 100 levels of nesting, 10,000 keys in one mapping and 100,000 YAML nodes: past those, compose-go and its YAML parser take minutes (a 3-line file can stall them). A hand-written compose file is far inside these limits.",
}

var ruleStructure = &Rule{
	Code: "MC006", Severity: SevError, Title: "not a valid compose file",
	Explain: "The file is YAML but not a compose file compose-go accepts: the top level is not a mapping, there is no services key, an attribute has the wrong type (mem_limit: [1]), or a file it refers to (extends, include, .env) is missing. The message is compose-go's, positioned at the attribute it names.",
}

var ruleInterpolation = &Rule{
	Code: "MC007", Severity: SevError, Title: "interpolation failed",
	Explain: "A ${VAR} could not be substituted: a required variable (${VAR:?message}) is unset, the syntax is bad, or a typed attribute (cpus: ${CPUS}) takes its value from a variable that neither the project's .env nor the file sets. A plan never reads the caller's environment, so that value is unknown; set it in .env.",
}

var ruleEnvFileRead = &Rule{
	Code: "MC008", Severity: SevError, Title: "env_file cannot be read",
	Explain: "A service's env_file does not exist or is not a valid env file (KEY=value lines). Create it, or mark it optional with required: false. Values from env files are never printed.",
}

var ruleDockerfileSyntax = &Rule{
	Code: "MC009", Severity: SevError, Title: "invalid Dockerfile",
	Explain: "The Dockerfile cannot be parsed by BuildKit's parser (the one docker uses), so Modal's image builder would refuse it too.",
}
