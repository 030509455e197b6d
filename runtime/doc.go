// Package runtime manages what modalc launched, after creation: naming and
// ownership tags, exec, files, logs, terminate-and-verify, list and cleanup,
// retries. It knows nothing of compose. runtime/modaltest is a Modal
// control plane on loopback for its tests.
package runtime
