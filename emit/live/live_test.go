package live_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modalc/modalc"
	"github.com/modalc/modalc/emit/live"
	"github.com/modalc/modalc/internal/golden"
	"github.com/modalc/modalc/runtime"
	"github.com/modalc/modalc/runtime/modaltest"
)

// Every test package imports internal/golden, so go test ./... -update works.
var _ = golden.Update

// fake starts a Modal control plane on loopback and points the SDK at it
// through the environment, as a user's shell would; it shortens the outer
// retry policy.
func fake(t testing.TB, opts ...modaltest.Option) *modaltest.Server {
	t.Helper()
	srv := modaltest.Start(t, opts...)
	old := runtime.Backoff
	runtime.Backoff = []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	t.Cleanup(func() { runtime.Backoff = old })
	return srv
}

// planned plans a compose file written into a fresh directory.
func planned(t testing.TB, files map[string]string) *modalc.Result {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := modalc.Plan(context.Background(), dir, modalc.Options{Env: map[string]string{"TOKEN": "s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatalf("plan: %v", res.Diagnostics)
	}
	return res
}

func connect(t testing.TB, log *bytes.Buffer) *runtime.Client {
	t.Helper()
	var w *syncWriter
	if log != nil {
		w = &syncWriter{b: log}
	}
	opts := runtime.Options{}
	if w != nil {
		opts.BuildLog = w
	}
	c, err := runtime.Connect(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

type syncWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

const registryCompose = `services:
  default:
    image: python:3.12-slim
    command: ["sleep", "infinity"]
    working_dir: /work
    environment:
      TOKEN: ${TOKEN}
      MODE: eval
    deploy:
      resources:
        reservations: {cpus: "0.5", memory: 512m}
        limits: {cpus: "2", memory: 1g}
x-modal:
  timeout: 600
  secrets: [openai]
`

func tags(run string) map[string]string { return runtime.OwnershipTags(run, "tester", "box") }

func TestApplyRegistry(t *testing.T) {
	srv := fake(t)
	srv.AddSecret("openai", map[string]string{"OPENAI_API_KEY": "k"})
	res := planned(t, map[string]string{"compose.yaml": registryCompose})
	c := connect(t, nil)
	out, err := live.Apply(context.Background(), c, res.Source, res.Spec, live.ApplyOptions{
		Replicas: 3, Task: "My Task", Sample: "7", Tags: tags("run1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Sandboxes) != 3 || out.ImageID == "" || out.AppID == "" || out.App != "inspect_modal_sandbox" {
		t.Fatalf("result = %+v", out)
	}
	st := srv.State()
	if st.Running != 3 {
		t.Errorf("running = %d, want 3", st.Running)
	}
	for _, sb := range st.Sandboxes {
		if !strings.HasPrefix(sb.Name, "inspect-my-task-7-") || len(sb.Name) != len("inspect-my-task-7-")+8 {
			t.Errorf("name = %q", sb.Name)
		}
		if sb.Tags["created_by"] != "inspect-ai" || sb.Tags[runtime.TagRun] != "run1" || sb.Tags[runtime.TagUser] != "tester" {
			t.Errorf("tags = %v", sb.Tags)
		}
		if sb.CPU != 0.5 || sb.CPULimit != 2 || sb.MemoryMiB != 512 || sb.MemoryLimit != 1024 || sb.TimeoutSecs != 600 ||
			sb.Workdir != "/work" || strings.Join(sb.Command, " ") != "sleep infinity" {
			t.Errorf("definition = %+v", sb)
		}
		// The env secret and the named one, merged by the server.
		if strings.Join(sb.EnvKeys, ",") != "MODE,OPENAI_API_KEY,TOKEN" {
			t.Errorf("env keys = %v", sb.EnvKeys)
		}
		if sb.GPU != "" || !sb.V2 {
			t.Errorf("no GPU requested: want the V2 family, got %+v", sb)
		}
	}
	// Exactly one app lookup, one image build, one secret lookup, one
	// create per sandbox: tags are in the create request.
	for rpc, want := range map[string]int{"AppGetOrCreate": 1, "ImageGetOrCreate": 1, "SecretGetOrCreate": 1, "SandboxCreateV2": 3, "SandboxTagsSetV2": 0, "SandboxTagsSet": 0} {
		if got := st.Calls[rpc]; got != want {
			t.Errorf("%s calls = %d, want %d", rpc, got, want)
		}
	}
}

func TestApplyGPUUsesV1(t *testing.T) {
	srv := fake(t)
	res := planned(t, map[string]string{"compose.yaml": "services:\n  default:\n    image: nvidia/cuda:12.4.1-base-ubuntu22.04\nx-modal:\n  gpu: a100:2\n"})
	if _, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{Tags: tags("gpu")}); err != nil {
		t.Fatal(err)
	}
	st := srv.State()
	if len(st.Sandboxes) != 1 || st.Sandboxes[0].V2 || st.Sandboxes[0].GPU != "A100:2" {
		t.Fatalf("sandboxes = %+v", st.Sandboxes)
	}
}

func TestApplyPortsTunnels(t *testing.T) {
	fake(t)
	res := planned(t, map[string]string{"compose.yaml": "services:\n  default:\n    image: python:3.12\nx-modal:\n  encrypted_ports: [8443]\n  unencrypted_ports: [8080]\n"})
	out, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{Tags: tags("ports")})
	if err != nil {
		t.Fatal(err)
	}
	tn := out.Sandboxes[0].Tunnels
	if !strings.HasPrefix(tn["8443"], "https://") || !strings.HasPrefix(tn["8080"], "tcp://") {
		t.Errorf("tunnels = %v", tn)
	}
}

func TestApplyMissingSecret(t *testing.T) {
	srv := fake(t)
	res := planned(t, map[string]string{"compose.yaml": registryCompose})
	_, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{Tags: tags("nosecret")})
	if err == nil || !strings.Contains(err.Error(), `secret "openai" not found`) {
		t.Fatalf("err = %v", err)
	}
	if n := srv.State().Calls["SecretGetOrCreate"]; n != 1 {
		t.Errorf("a missing secret is not retried: %d lookups", n)
	}
	if n := len(srv.State().Sandboxes); n != 0 {
		t.Errorf("%d sandboxes created", n)
	}
}

func TestApplyTransientFaultRecovered(t *testing.T) {
	srv := fake(t)
	// 5 UNAVAILABLE in a row: beyond the SDK's own 3 retries, within
	// modalc's outer policy.
	srv.Fail("SandboxCreateV2", modaltest.Fault{N: 1, Times: 5, Kind: modaltest.Transient})
	res := planned(t, map[string]string{"compose.yaml": "services:\n  default:\n    image: python:3.12\n"})
	out, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{Tags: tags("transient")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Sandboxes) != 1 || srv.State().Running != 1 {
		t.Fatalf("result = %+v, state = %+v", out, srv.State().Running)
	}
}

func TestApplyPermanentFaultCleansUp(t *testing.T) {
	srv := fake(t)
	// The 4th create fails for good: the 3 made before must be terminated.
	srv.Fail("SandboxCreateV2", modaltest.Fault{N: 4, Kind: modaltest.Permanent})
	res := planned(t, map[string]string{"compose.yaml": "services:\n  default:\n    image: python:3.12\n"})
	_, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{
		Replicas: 6, Concurrency: 1, Tags: tags("permanent"),
	})
	var ae *live.ApplyError
	if !errors.As(err, &ae) || ae.Interrupted || len(ae.Leftover) != 0 {
		t.Fatalf("err = %v", err)
	}
	if len(ae.Terminated) != 3 {
		t.Errorf("terminated %d, want 3", len(ae.Terminated))
	}
	if n := srv.State().Running; n != 0 {
		t.Errorf("%d sandboxes still running", n)
	}
}

func TestApplyLostCreateAnswer(t *testing.T) {
	srv := fake(t)
	// The create happens, the answer is lost every time: the SDK and
	// modalc retry, find the name taken, and adopt the sandbox.
	srv.Fail("SandboxCreateV2", modaltest.Fault{N: 1, Kind: modaltest.AfterCommit})
	res := planned(t, map[string]string{"compose.yaml": "services:\n  default:\n    image: python:3.12\n"})
	out, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{Tags: tags("lost")})
	if err != nil {
		t.Fatal(err)
	}
	st := srv.State()
	if len(st.Sandboxes) != 1 || st.Running != 1 || out.Sandboxes[0].ID != st.Sandboxes[0].ID {
		t.Fatalf("result %+v; server has %+v", out.Sandboxes, st.Sandboxes)
	}
}

func TestApplyLostCreateThenFailureSweeps(t *testing.T) {
	srv := fake(t)
	// Every create is committed and its answer lost; FromName fails too,
	// so the run gives up: the sandboxes it never heard of must be found
	// by the run's tag and terminated.
	srv.Fail("SandboxCreateV2", modaltest.Fault{N: 1, Times: -1, Kind: modaltest.AfterCommit})
	srv.Fail("SandboxGetFromNameV2", modaltest.Fault{N: 1, Times: -1, Kind: modaltest.Permanent})
	srv.Fail("SandboxGetFromName", modaltest.Fault{N: 1, Times: -1, Kind: modaltest.Permanent})
	res := planned(t, map[string]string{"compose.yaml": "services:\n  default:\n    image: python:3.12\n"})
	_, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{Tags: tags("sweep")})
	var ae *live.ApplyError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	st := srv.State()
	if st.Running != 0 || len(st.Sandboxes) == 0 || len(ae.Terminated) != len(st.Sandboxes) {
		t.Fatalf("running %d of %d; terminated %v", st.Running, len(st.Sandboxes), ae.Terminated)
	}
}

func TestApplyInterruptLeavesNothingRunning(t *testing.T) {
	srv := fake(t, modaltest.WithLatency(20*time.Millisecond))
	res := planned(t, map[string]string{"compose.yaml": "services:\n  default:\n    image: python:3.12\n"})
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	_, err := live.Apply(ctx, connect(t, nil), res.Source, res.Spec, live.ApplyOptions{
		Replicas: 20, Concurrency: 4, Tags: tags("interrupt"),
		Progress: func(e live.Event) {
			if e.Step == "create" && e.Done >= 5 {
				once.Do(cancel) // SIGINT, mid-run
			}
		},
	})
	var ae *live.ApplyError
	if !errors.As(err, &ae) || !ae.Interrupted {
		t.Fatalf("err = %v", err)
	}
	st := srv.State()
	if st.Running != 0 {
		t.Errorf("%d sandboxes still running after the interrupt", st.Running)
	}
	if len(st.Sandboxes) < 5 || len(st.Sandboxes) >= 20 || len(ae.Terminated) != len(st.Sandboxes) {
		t.Errorf("created %d, terminated %d", len(st.Sandboxes), len(ae.Terminated))
	}
}

func TestApplyNoCredentials(t *testing.T) {
	fake(t)
	t.Setenv("MODAL_TOKEN_ID", "")
	t.Setenv("MODAL_TOKEN_SECRET", "")
	res := planned(t, map[string]string{"compose.yaml": "services:\n  default:\n    image: python:3.12\n"})
	_, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{})
	if !errors.Is(err, runtime.ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
}

// BenchmarkApplyReplicas: with 50 ms injected per RPC, 100 replicas of a
// registry image over one image build. It reports the wall time per apply
// and the RPC counts.
func BenchmarkApplyReplicas(b *testing.B) {
	srv := fake(b, modaltest.WithLatency(50*time.Millisecond))
	res := planned(b, map[string]string{"compose.yaml": "services:\n  default:\n    image: python:3.12\n"})
	c := connect(b, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		out, err := live.Apply(context.Background(), c, res.Source, res.Spec, live.ApplyOptions{Replicas: 100, Tags: tags("bench")})
		if err != nil || len(out.Sandboxes) != 100 {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/apply")
	}
	b.StopTimer()
	st := srv.State()
	n := float64(b.N)
	b.ReportMetric(float64(st.Calls["AppGetOrCreate"])/n, "app-lookups/op")
	b.ReportMetric(float64(st.Calls["ImageGetOrCreate"])/n, "image-builds/op")
	b.ReportMetric(float64(st.Calls["SandboxCreateV2"])/n, "creates/op")
	b.ReportMetric(float64(st.Calls["SandboxTagsSetV2"]+st.Calls["SandboxTagsSet"])/n, "tag-calls/op")
}

func TestApplyDockerfileBuild(t *testing.T) {
	srv := fake(t)
	res := planned(t, map[string]string{
		"compose.yaml": "services:\n  default:\n    build:\n      context: .\n      args: {GREETING: hello}\n    command: [python, /app/main.py]\n",
		"Dockerfile":   "FROM python:3.12-slim\nARG GREETING=hi\nWORKDIR /app\nCOPY main.py /app/main.py\nRUN echo $GREETING\n",
		"main.py":      "print('hi')\n",
		"unused.txt":   "not copied, not uploaded\n",
	})
	var log bytes.Buffer
	out, err := live.Apply(context.Background(), connect(t, &log), res.Source, res.Spec, live.ApplyOptions{Tags: tags("df")})
	if err != nil {
		t.Fatal(err)
	}
	st := srv.State()
	if st.BytesUploaded != int64(len("print('hi')\n")) {
		t.Errorf("bytes uploaded = %d, want only main.py's", st.BytesUploaded)
	}
	var built *modaltest.Image
	for i := range st.Images {
		if st.Images[i].ID == out.ImageID {
			built = &st.Images[i]
		}
	}
	if built == nil || built.BuildArgs["GREETING"] != "hello" {
		t.Fatalf("image %s: %+v", out.ImageID, st.Images)
	}
	if !strings.Contains(log.String(), "COPY main.py /app/main.py") {
		t.Errorf("the build log did not reach stderr:\n%s", log.String())
	}
	// A second apply re-sends nothing.
	if _, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{Tags: tags("df2")}); err != nil {
		t.Fatal(err)
	}
	if got := srv.State().BytesUploaded; got != st.BytesUploaded {
		t.Errorf("second apply uploaded %d more bytes", got-st.BytesUploaded)
	}
}

func TestApplyBuildFailure(t *testing.T) {
	srv := fake(t)
	res := planned(t, map[string]string{
		"Dockerfile": "FROM python:3.12-slim\nRUN echo building\nRUN exit 3\n",
	})
	var log bytes.Buffer
	_, err := live.Apply(context.Background(), connect(t, &log), res.Source, res.Spec, live.ApplyOptions{Tags: tags("fail")})
	var be *runtime.BuildError
	if !errors.As(err, &be) || be.Status != "FAILURE" {
		t.Fatalf("err = %v, want a *runtime.BuildError", err)
	}
	if !strings.Contains(log.String(), "RUN exit 3") {
		t.Errorf("build log:\n%s", log.String())
	}
	st := srv.State()
	if st.Calls["ImageGetOrCreate"] != 1 || len(st.Sandboxes) != 0 {
		t.Errorf("a failed build is not retried and creates nothing: %d builds, %d sandboxes", st.Calls["ImageGetOrCreate"], len(st.Sandboxes))
	}
}

func TestApplyDefaultImage(t *testing.T) {
	srv := fake(t)
	res := planned(t, map[string]string{"README": "no compose file, no Dockerfile\n"})
	out, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{Tags: tags("default")})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range srv.State().Images {
		if img.ID == out.ImageID {
			if len(img.DockerfileCommands) == 0 || !strings.HasPrefix(img.DockerfileCommands[0], "FROM python:3.12") {
				t.Errorf("default image commands = %q", img.DockerfileCommands)
			}
			return
		}
	}
	t.Errorf("image %s not built", out.ImageID)
}

// TestApplyExamples applies each example of the repository.
func TestApplyExamples(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*")
	if len(dirs) == 0 {
		t.Fatal("no examples")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			srv := fake(t)
			srv.AddSecret("openai-api-key", map[string]string{"OPENAI_API_KEY": "k"})
			res, err := modalc.Plan(context.Background(), dir, modalc.Options{Env: map[string]string{}})
			if err != nil || res.Diagnostics.HasErrors() {
				t.Fatalf("plan: %v %v", err, res.Diagnostics)
			}
			out, err := live.Apply(context.Background(), connect(t, nil), res.Source, res.Spec, live.ApplyOptions{Replicas: 2, Tags: tags("ex")})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Sandboxes) != 2 || srv.State().Running != 2 {
				t.Errorf("result %+v", out)
			}
		})
	}
}
