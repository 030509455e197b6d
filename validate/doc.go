// Package validate checks a parse.Source and reports Diagnostics: the
// x-modal JSON Schema, every semantic rule of the translation, the
// attributes modalc does not translate, and the places where the reference
// provider (inspect_sandboxes 0.3.0) would read the same file differently.
//
// It owns the catalogue of codes: one rule, one file (rule_<topic>.go), one
// Rule value holding code, title, explanation and check; rules.go lists
// them in code order. It does not build the spec: the precedence rules it
// needs come from package lower, so that what is checked is what is lowered.
package validate
