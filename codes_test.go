package modalc_test

import (
	"github.com/modalc/modalc/internal/golden"
	"github.com/modalc/modalc/validate"
)

// Every test package imports internal/golden, so that go test ./... -update
// works everywhere.
var _ = golden.Update

func allCodes() []string {
	var out []string
	for _, r := range validate.Rules {
		out = append(out, string(r.Code))
	}
	return out
}
