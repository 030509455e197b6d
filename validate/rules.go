package validate

import "github.com/modalc/modalc/parse"

// Rules is the catalogue, in code order. Codes are stable: a retired code
// stays here as a comment and is never reused.
//
//	MC0xx  input: the file cannot be read as a compose file or Dockerfile
//	MC1xx  x-modal: the schema and Modal's limits on its values
//	MC2xx  compose semantics and Modal limits
//	MC3xx  compose attributes modalc does not translate
//	MC4xx  Dockerfiles and build contexts
//	MC5xx  compat: inspect_sandboxes 0.3.0 would read the file differently
var Rules = []*Rule{
	ruleSyntax, ruleEmpty, ruleBinary, ruleEncoding, ruleTooLarge, ruleStructure,
	ruleInterpolation, ruleEnvFileRead, ruleDockerfileSyntax,

	ruleXModalSchema, ruleXModalUnknownKey, ruleXModalSDKObject, ruleXModalInService,
	ruleGPUType, ruleGPUCount, ruleCIDR, ruleCIDREmpty, ruleCIDRBlocked, rulePortTwice, rulePortBlocked,

	ruleServiceCount, ruleWorkdir, ruleMemBytes, ruleRequestAboveLimit, ruleGPUAll,
	ruleBuildContext, ruleDockerfileMissing, ruleBuildTarget, ruleRemoteContext,

	ruleLoosens, ruleChanges, ruleCosmetic,

	ruleDockerfileUnknownInstruction, ruleDockerfileCopyMissing, ruleDockerfileCopyIgnored, ruleDockerfileSymlink,
	ruleDockerfileBuildArgUnused, ruleDockerfileLargeContext, ruleDockerfileAddLocal, ruleDockerfileCopySDK,
	ruleDockerfilePlatform, ruleDockerfileEntrypoint, ruleDockerfileExpose, ruleDockerfileIgnoreFile,

	ruleCompatContext, ruleCompatBuildKeys, ruleCompatEnvFile, ruleCompatMemReservation,
	ruleCompatEntrypoint, ruleCompatInterpolation, ruleCompatUnknownKey, ruleCompatTypes,
	ruleCompatFileName,
}

// inputRules maps the kinds of parse.Error to their rule.
var inputRules = map[parse.ErrorKind]*Rule{
	parse.ErrSyntax:        ruleSyntax,
	parse.ErrEmpty:         ruleEmpty,
	parse.ErrBinary:        ruleBinary,
	parse.ErrEncoding:      ruleEncoding,
	parse.ErrTooLarge:      ruleTooLarge,
	parse.ErrStructure:     ruleStructure,
	parse.ErrInterpolation: ruleInterpolation,
	parse.ErrEnvFile:       ruleEnvFileRead,
	parse.ErrDockerfile:    ruleDockerfileSyntax,
	parse.ErrIgnoreFile:    ruleDockerfileIgnoreFile,
}
