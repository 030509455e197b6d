// Package emit turns a lower.Spec into what leaves modalc: the JSON plan
// (version 1). Its subpackage live makes the Modal calls that create it
// (apply).
//
// It does not parse or validate again: it trusts the Spec and the
// diagnostics it is given. The plan is byte-for-byte deterministic: keys
// sorted, absent optional fields omitted, and no secret value in it (values
// from env files are replaced by a marker naming the file).
package emit
