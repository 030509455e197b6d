// Package live is emit's live emitter: it makes the Modal calls that create
// what a plan describes (app, image, secrets, sandboxes) and cleans up after
// a failure. It is a package of its own so that planning links no gRPC and
// no Modal SDK: a library user who only plans, and the plan's start-up time,
// do not pay for them.
package live

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	modal "github.com/modal-labs/modal-client/go"
	"github.com/modalc/modalc/lower"
	"github.com/modalc/modalc/parse"
	"github.com/modalc/modalc/runtime"
)

// ApplyOptions configure Apply. The zero value creates one sandbox named
// inspect-{hex}.
type ApplyOptions struct {
	Replicas    int    // sandboxes to create (default 1)
	Concurrency int    // creates in flight at once (default 16)
	Task        string // the Inspect task, for the name
	Sample      string // the Inspect sample, for the name
	// Tags are set in every create request, beside created_by:
	// inspect-ai; runtime.OwnershipTags makes them. Tags[runtime.TagRun]
	// identifies this run: after a failure, running sandboxes with it are
	// found and terminated, including creates whose answer was lost.
	Tags map[string]string
	// Progress, when set, is told what happens (it must be quick).
	Progress func(Event)
	// CleanupTimeout bounds the clean-up after a failure or an interrupt
	// (default 2 minutes): in-flight creates finish, then everything the
	// run made is terminated and verified stopped.
	CleanupTimeout time.Duration
}

// An Event is a step of Apply, for progress output.
type Event struct {
	Step  string // "app", "image", "secrets", "create", "cleanup"
	Done  int    // sandboxes created so far (create), terminated (cleanup)
	Total int
	Msg   string
}

// An ApplyResult is what Apply made.
type ApplyResult struct {
	App       string          `json:"app"`
	AppID     string          `json:"app_id"`
	ImageID   string          `json:"image_id"`
	Sandboxes []SandboxResult `json:"sandboxes"`
}

// A SandboxResult is one created sandbox.
type SandboxResult struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Tunnels map[string]string `json:"tunnels,omitempty"` // container port → URL
}

// An ApplyError is a failed or interrupted apply, after clean-up: what went
// wrong, and what happened to the sandboxes the run had made.
type ApplyError struct {
	Err         error
	Interrupted bool
	Terminated  []string       // sandbox IDs terminated and verified stopped
	Leftover    []runtime.Stop // sandboxes that could not be stopped: Err says why
}

func (e *ApplyError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if len(e.Terminated) > 0 {
		fmt.Fprintf(&b, "; terminated the %d sandbox(es) it had created", len(e.Terminated))
	}
	for _, s := range e.Leftover {
		fmt.Fprintf(&b, "; %s may still be running: %v", s.ID, s.Err)
	}
	return b.String()
}

func (e *ApplyError) Unwrap() error { return e.Err }

// ErrInterrupted is the cause of an ApplyError when ctx was cancelled.
var ErrInterrupted = errors.New("interrupted")

// Apply creates spec on Modal: the app (created if missing), the image
// (built once, before any sandbox), the named secrets (looked up once), and
// opts.Replicas sandboxes created concurrently with the plan's parameters
// and the tags in the create request. The environment goes in one secret
// shared by every replica. On a failed create (after retries) or when ctx
// is cancelled, it terminates every sandbox the run made, verifies each
// stopped, and returns an *ApplyError.
func Apply(ctx context.Context, c *runtime.Client, src *parse.Source, spec *lower.Spec, opts ApplyOptions) (*ApplyResult, error) {
	if opts.Replicas <= 0 {
		opts.Replicas = 1
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	if opts.CleanupTimeout <= 0 {
		opts.CleanupTimeout = 2 * time.Minute
	}
	progress := func(e Event) {
		if opts.Progress != nil {
			opts.Progress(e)
		}
	}
	tags := map[string]string{}
	for k, v := range spec.Sandbox.Tags {
		tags[k] = v
	}
	for k, v := range opts.Tags {
		tags[k] = v
	}

	progress(Event{Step: "app", Msg: spec.App})
	var app *modal.App
	err := runtime.Retry(ctx, func(int) (err error) {
		app, err = c.SDK.Apps.FromName(ctx, spec.App, &modal.AppFromNameParams{CreateIfMissing: true})
		return runtime.Wrap(err)
	})
	if err != nil {
		return nil, fail(ctx, err)
	}
	res := &ApplyResult{App: spec.App, AppID: app.AppID}

	progress(Event{Step: "image", Msg: spec.Image.Kind})
	img, err := buildImage(ctx, c, app, src, spec)
	if err != nil {
		return nil, fail(ctx, err)
	}
	res.ImageID = img.ImageID

	secrets, err := lookupSecrets(ctx, c, spec.Sandbox.Secrets)
	if err != nil {
		return nil, fail(ctx, err)
	}
	if len(spec.Sandbox.Env) > 0 {
		// One secret for every replica, hydrated at most once.
		env, err := c.SDK.Secrets.FromMap(ctx, spec.Sandbox.Env, nil)
		if err != nil {
			return nil, fail(ctx, err)
		}
		secrets = append(secrets, env)
	}

	// Creates run under their own context: on an interrupt they are let
	// finish (bounded), so that what they made is known and terminated.
	createCtx, cancelCreates := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancelCreates()
	var (
		mu       sync.Mutex
		created  []SandboxResult
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, opts.Concurrency)
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		stopOnce.Do(func() { close(stop) })
	}
	go func() {
		select {
		case <-ctx.Done():
			halt(ErrInterrupted)
		case <-stop:
		}
	}()
launch:
	for i := 0; i < opts.Replicas; i++ {
		select {
		case <-stop:
			break launch
		case sem <- struct{}{}:
		}
		select {
		case <-stop:
			<-sem
			break launch
		default:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name := runtime.SandboxName(opts.Task, opts.Sample, runtime.RandomHex(4))
			sb, err := create(createCtx, c, app, img, spec, secrets, name, tags)
			if err != nil {
				halt(fmt.Errorf("create %s: %w", name, err))
				return
			}
			mu.Lock()
			created = append(created, SandboxResult{ID: sb.SandboxID, Name: name})
			n := len(created)
			mu.Unlock()
			progress(Event{Step: "create", Done: n, Total: opts.Replicas, Msg: name})
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, cleanup(ctx, c, app.AppID, tags, created, firstErr, opts, progress)
	}
	sort.Slice(created, func(i, j int) bool { return created[i].Name < created[j].Name })
	if ports := len(spec.Sandbox.EncryptedPorts) + len(spec.Sandbox.H2Ports) + len(spec.Sandbox.UnencryptedPorts); ports > 0 {
		for i := range created {
			t, err := tunnels(ctx, c, created[i].ID)
			if err != nil {
				return nil, cleanup(ctx, c, app.AppID, tags, created, fmt.Errorf("tunnels of %s: %w", created[i].Name, err), opts, progress)
			}
			created[i].Tunnels = t
		}
	}
	res.Sandboxes = created
	return res, nil
}

// fail wraps an error from before any sandbox exists.
func fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &ApplyError{Err: ErrInterrupted, Interrupted: true}
	}
	return &ApplyError{Err: err}
}

func lookupSecrets(ctx context.Context, c *runtime.Client, names []string) ([]*modal.Secret, error) {
	var out []*modal.Secret
	for _, n := range names {
		var s *modal.Secret
		err := runtime.Retry(ctx, func(int) (err error) {
			s, err = c.SDK.Secrets.FromName(ctx, n, nil)
			return err
		})
		if err != nil {
			var nf modal.NotFoundError
			if errors.As(err, &nf) {
				return nil, fmt.Errorf("secret %q not found: create it with `modal secret create %s KEY=value`", n, n)
			}
			return nil, fmt.Errorf("secret %q: %w", n, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// create makes one sandbox, retrying transient failures. A create whose
// answer was lost (to the SDK's own retries or to ours) comes back as "name
// taken": the sandbox of that name is adopted when it carries this run's
// tag, which proves an earlier attempt made it.
func create(ctx context.Context, c *runtime.Client, app *modal.App, img *modal.Image, spec *lower.Spec, secrets []*modal.Secret, name string, tags map[string]string) (*modal.Sandbox, error) {
	params := createParams(spec, secrets, name, tags)
	var sb *modal.Sandbox
	err := runtime.Retry(ctx, func(attempt int) (err error) {
		sb, err = c.SDK.Sandboxes.Create(ctx, app, img, params)
		var ae modal.AlreadyExistsError
		if errors.As(err, &ae) {
			if mine, ok := adopt(ctx, c, app, name, tags); ok {
				sb, err = mine, nil
			}
		}
		return err
	})
	return sb, err
}

// adopt finds the sandbox called name and returns it when its run tag is
// this run's.
func adopt(ctx context.Context, c *runtime.Client, app *modal.App, name string, tags map[string]string) (*modal.Sandbox, bool) {
	run := tags[runtime.TagRun]
	if run == "" {
		return nil, false
	}
	sb, err := c.SDK.Sandboxes.FromName(ctx, app.Name, name, nil)
	if err != nil {
		return nil, false
	}
	got, err := sb.GetTags(ctx, nil)
	if err != nil || got[runtime.TagRun] != run {
		return nil, false
	}
	return sb, true
}

func createParams(spec *lower.Spec, secrets []*modal.Secret, name string, tags map[string]string) *modal.SandboxCreateParams {
	sb := spec.Sandbox
	p := &modal.SandboxCreateParams{
		CPU: sb.CPU, CPULimit: sb.CPULimit, MemoryMiB: sb.Memory, MemoryLimitMiB: sb.MemoryLimit,
		GPU: sb.GPU, Timeout: time.Duration(sb.Timeout) * time.Second,
		IdleTimeout: time.Duration(sb.IdleTimeout) * time.Second,
		Workdir:     sb.Workdir, Command: sb.Command, Secrets: secrets, PTY: sb.PTY,
		EncryptedPorts: sb.EncryptedPorts, H2Ports: sb.H2Ports, UnencryptedPorts: sb.UnencryptedPorts,
		BlockNetwork: sb.BlockNetwork, Cloud: sb.Cloud, Regions: sb.Regions, Verbose: sb.Verbose,
		CustomDomain: sb.CustomDomain, Name: name, Tags: tags,
	}
	if sb.CIDRAllowlist != nil {
		p.OutboundCIDRAllowlist = &modal.Allowlist{Entries: sb.CIDRAllowlist}
	}
	return p
}

func tunnels(ctx context.Context, c *runtime.Client, id string) (map[string]string, error) {
	sb, err := c.SDK.Sandboxes.FromID(ctx, id, nil)
	if err != nil {
		return nil, err
	}
	var t map[int]*modal.Tunnel
	err = runtime.Retry(ctx, func(int) (err error) {
		t, err = sb.Tunnels(ctx, 60*time.Second, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for port, tn := range t {
		url := tn.URL()
		if tn.UnencryptedHost != "" {
			url = fmt.Sprintf("tcp://%s:%d", tn.UnencryptedHost, tn.UnencryptedPort)
		}
		out[fmt.Sprint(port)] = url
	}
	return out, nil
}

// cleanup terminates every sandbox the run made — the ones it heard of, and
// any running sandbox with the run's tag (a create whose answer was lost) —
// verifies each stopped, and returns the ApplyError.
func cleanup(ctx context.Context, c *runtime.Client, appID string, tags map[string]string, created []SandboxResult, cause error, opts ApplyOptions, progress func(Event)) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.CleanupTimeout)
	defer cancel()
	ae := &ApplyError{Err: cause, Interrupted: errors.Is(cause, ErrInterrupted)}
	ids := map[string]bool{}
	for _, s := range created {
		ids[s.ID] = true
	}
	if run := tags[runtime.TagRun]; run != "" {
		found, err := c.Running(cctx, appID, map[string]string{runtime.TagRun: run})
		if err != nil {
			ae.Leftover = append(ae.Leftover, runtime.Stop{ID: "(run " + run + ")", Err: fmt.Errorf("listing the run's sandboxes: %w", err)})
		}
		for _, id := range found {
			ids[id] = true
		}
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	progress(Event{Step: "cleanup", Total: len(list)})
	for _, s := range c.TerminateAll(cctx, list) {
		if s.Err != nil {
			ae.Leftover = append(ae.Leftover, s)
		} else {
			ae.Terminated = append(ae.Terminated, s.ID)
		}
	}
	progress(Event{Step: "cleanup", Done: len(ae.Terminated), Total: len(list)})
	return ae
}
