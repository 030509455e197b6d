// Package modalc compiles Docker Compose files (and Dockerfiles) to Modal
// Sandboxes. It runs the pipeline parse → validate → lower → emit for one
// input; the packages below do the work and can be called one by one:
//
//	parse     finds and reads the input (compose-go, BuildKit's Dockerfile parser, a YAML position index)
//	validate  checks it and reports positioned diagnostics with stable codes
//	lower     turns it into a Spec: what Modal will be asked for
//	emit      encodes the JSON plan, and makes the live calls for apply
//	runtime   manages sandboxes after they are created
//
// A plan is a function of the repository's files alone: nothing is read
// from the process environment unless Options.Env supplies it.
package modalc

import (
	"context"
	"runtime"
	"sync"

	"github.com/modalc/modalc/emit"
	"github.com/modalc/modalc/lower"
	"github.com/modalc/modalc/parse"
	"github.com/modalc/modalc/validate"
)

// Options configure Plan. The zero Options are the documented defaults.
type Options struct {
	// Env supplies values for ${NAME} interpolation beyond the project's
	// .env file (apply passes the process environment). Nil: references
	// that .env does not set stay as written.
	Env map[string]string
	// Python is the Python version of Modal's default image ("" = 3.12).
	Python string
	// Severities changes the severity of codes (--ignore, --error, --strict).
	Severities validate.Severities
}

// A Result is one input, planned.
type Result struct {
	Path        string // the path as given
	Source      *parse.Source
	Diagnostics validate.Diagnostics // after Options.Severities, sorted
	Spec        *lower.Spec          // nil when Diagnostics has errors
	Plan        *emit.Plan           // nil when Diagnostics has errors
}

// Plan runs the pipeline on one input. Problems in the input are
// Diagnostics; the error is for I/O failures (a missing path wraps
// parse.ErrNoInput) and bugs.
func Plan(ctx context.Context, path string, opts Options) (*Result, error) {
	res := &Result{Path: path}
	var popts []parse.Option
	if opts.Env != nil {
		popts = append(popts, parse.WithEnv(opts.Env))
	}
	src, err := parse.Load(ctx, path, popts...)
	if err != nil {
		ds, ok := validate.FromError(err)
		if !ok {
			return nil, err
		}
		res.Diagnostics = opts.Severities.Apply(ds)
		return res, nil
	}
	res.Source = src
	res.Diagnostics = opts.Severities.Apply(validate.Check(src))
	if res.Diagnostics.HasErrors() {
		return res, nil
	}
	spec, err := lower.Lower(src, lower.WithPython(opts.Python))
	if err != nil {
		return nil, err
	}
	res.Spec = spec
	p := emit.PlanOf(spec, res.Diagnostics)
	res.Plan = &p
	return res, nil
}

// PlanAll plans each path on its own, in parallel (at most GOMAXPROCS at a
// time), and returns the results in argument order. errs[i] is the I/O
// error of paths[i], if any.
func PlanAll(ctx context.Context, paths []string, opts Options) (results []*Result, errs []error) {
	results = make([]*Result, len(paths))
	errs = make([]error, len(paths))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i], errs[i] = Plan(ctx, p, opts)
		}()
	}
	wg.Wait()
	return results, errs
}
