package modalc_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/modalc/modalc"
)

// A Go program plans a compose file with the packages alone.
func ExamplePlan() {
	dir, err := os.MkdirTemp("", "modalc-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "compose.yaml")
	os.WriteFile(file, []byte("services:\n  app:\n    image: python:3.12\n    mem_limit: \"512\"\n"), 0o644)

	res, err := modalc.Plan(context.Background(), file, modalc.Options{})
	if err != nil {
		panic(err) // I/O failure
	}
	for _, d := range res.Diagnostics {
		fmt.Printf("%d:%d %s %s: %s\n", d.Span.Start.Line, d.Span.Start.Column, d.Severity, d.Code, d.Message)
	}
	fmt.Println("plan:", res.Plan != nil)
	// Output:
	// 4:16 error MC203: mem_limit: 512 bytes is under 1 MiB
	// plan: false
}
