// Package applycmd is the apply command: it plans one input, then creates
// the sandboxes on Modal through package emit/live. It is its own package,
// and cmd/modalc-apply its own binary, because the Modal SDK it links costs
// every process that links it about 3 ms and 10 MiB at start-up: modalc's
// plan, run in pre-commit hooks, does not pay that; \`modalc apply\` runs
// this binary.
package applycmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/modalc/modalc/internal/cli"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"sync"
	"syscall"
	"time"

	"github.com/modalc/modalc"
	"github.com/modalc/modalc/emit/live"
	"github.com/modalc/modalc/runtime"
	"github.com/spf13/cobra"
)

// Run is the apply binary's main, with its streams: args are apply's own
// (flags and PATH), as after "modalc apply".
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Execute(NewCommand(), args, stdin, stdout, stderr)
}

// NewCommand returns the apply command.
func NewCommand() *cobra.Command {
	var (
		f           cli.DiagFlags
		replicas    int
		concurrency int
		task        string
		sample      string
	)
	cmd := &cobra.Command{
		Use:   "modalc apply [PATH]",
		Short: "Plan a compose file or Dockerfile, then create the sandbox(es) on Modal",
		Long: `apply runs the same pipeline as plan on PATH (default: the current directory) and
stops before any Modal call if there is an error. Then it gets or creates the app
inspect_modal_sandbox, builds the image once, looks up the secrets, and creates the
sandbox(es) with the plan's parameters and the ownership tags in the create request.

It prints a JSON result on stdout (app, image id, and per sandbox its id, name and
tunnel URLs) and progress on stderr. On a failed create, SIGINT or SIGTERM it
terminates every sandbox this run created, verifies each stopped, and exits non-zero
(130 on an interrupt).

Credentials come from the Modal SDK's usual sources: MODAL_TOKEN_ID and
MODAL_TOKEN_SECRET, or ~/.modal.toml (MODAL_PROFILE). Unlike plan, apply interpolates
${NAME} from the process environment.`,
		Example: `  modalc apply compose.yaml
  modalc apply --replicas 20 --task gpqa --sample 7 .`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if replicas < 1 {
				return &cli.ExitError{Code: cli.ExitUsage, Msg: fmt.Sprintf("--replicas must be at least 1, not %d", replicas)}
			}
			opts, err := f.Options()
			if err != nil {
				return err
			}
			opts.Env = environ()
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			stderr := cmd.ErrOrStderr()
			res, err := modalc.Plan(cmd.Context(), path, opts)
			if err != nil {
				return &cli.ExitError{Code: cli.ExitUsage, Msg: cli.IOMessage(path, err)}
			}
			cli.Render(stderr, f.Format, res.Diagnostics)
			if res.Diagnostics.HasErrors() {
				return &cli.ExitError{Code: cli.ExitDiags}
			}

			if n := runtime.ReferenceNameLen(task, sample); n > runtime.MaxNameLen {
				fmt.Fprintf(stderr, "warning: inspect_sandboxes would name these sandboxes with %d characters, which Modal refuses (over %d); modalc shortens them\n", n, runtime.MaxNameLen)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			prog := newProgress(stderr)
			client, err := runtime.Connect(runtime.Options{
				Logger:   slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})),
				BuildLog: prog.buildLog(),
			})
			if err != nil {
				return &cli.ExitError{Code: cli.ExitDiags, Msg: err.Error()}
			}
			defer client.Close()
			out, err := live.Apply(ctx, client, res.Source, res.Spec, live.ApplyOptions{
				Replicas: replicas, Concurrency: concurrency, Task: task, Sample: sample,
				Tags:     runtime.OwnershipTags(runID(), userName(), hostName()),
				Progress: prog.event,
			})
			prog.done()
			if err != nil {
				var ae *live.ApplyError
				if errors.As(err, &ae) && ae.Interrupted {
					return &cli.ExitError{Code: cli.ExitInterrupt, Msg: err.Error()}
				}
				if errors.Is(err, runtime.ErrNoCredentials) {
					return &cli.ExitError{Code: cli.ExitDiags, Msg: runtime.ErrNoCredentials.Error()}
				}
				return &cli.ExitError{Code: cli.ExitDiags, Msg: "apply failed: " + err.Error()}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	f.Register(cmd, false)
	fl := cmd.Flags()
	fl.IntVar(&replicas, "replicas", 1, "number of sandboxes to create, concurrently, over one image build")
	fl.IntVar(&concurrency, "concurrency", 16, "creates in flight at once")
	fl.StringVar(&task, "task", "", "Inspect task name, for the sandbox name inspect-{task}-{sample}-{hex}")
	fl.StringVar(&sample, "sample", "", "Inspect sample id, for the sandbox name")
	return cmd
}

// environ is the process environment as a map: apply interpolates with it.
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				env[kv[:i]] = kv[i+1:]
				break
			}
		}
	}
	return env
}

func runID() string {
	return time.Now().UTC().Format("20060102t150405") + "-" + runtime.RandomHex(3)
}

func userName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

func hostName() string {
	h, _ := os.Hostname()
	return h
}

// progress renders apply's events on stderr: one live line on a terminal,
// plain lines when piped. Build log lines pass through as they arrive.
type progress struct {
	mu   sync.Mutex // events come from concurrent creates and the build stream
	w    io.Writer
	live bool
	last string
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.live = true
		}
	}
	return p
}

func (p *progress) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		fmt.Fprintf(p.w, "\r\033[K%s", s)
		p.last = s
		return
	}
	fmt.Fprintln(p.w, s)
}

func (p *progress) event(e live.Event) {
	switch e.Step {
	case "app":
		p.line("app " + e.Msg)
	case "image":
		p.line("image: building (" + e.Msg + ")")
	case "create":
		p.line(fmt.Sprintf("sandboxes: %d/%d created", e.Done, e.Total))
	case "cleanup":
		if e.Done == 0 {
			p.line(fmt.Sprintf("cleaning up: terminating %d sandbox(es)", e.Total))
		} else {
			p.line(fmt.Sprintf("cleaning up: %d/%d terminated and verified stopped", e.Done, e.Total))
		}
	}
}

// buildLog passes build log lines through, above the live line.
func (p *progress) buildLog() io.Writer { return writerFunc(p.writeLog) }

func (p *progress) writeLog(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.last != "" {
		fmt.Fprint(p.w, "\r\033[K")
	}
	n, err := p.w.Write(b)
	if p.live && p.last != "" {
		fmt.Fprint(p.w, p.last)
	}
	return n, err
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.last != "" {
		fmt.Fprintln(p.w)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
