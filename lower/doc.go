// Package lower turns a validated parse.Source into a Spec: plain data that
// says exactly what Modal will be asked for.
//
// It owns every precedence and default rule of the translation (DESIGN's
// tables): which attribute wins, the cpu and memory shape rule, MiB
// conversion, the GPU taken from devices, x-modal overrides with null meaning
// "no override". It does no I/O and reports nothing: input it cannot lower
// means a rule is missing in package validate. The small exported helpers
// (Resources, BlockNetwork, …) are the same precedence rules, exposed so
// that validate checks exactly what lower will produce.
package lower
