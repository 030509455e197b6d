package modaltest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/modalc/modalc/internal/golden"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	modal "github.com/modal-labs/modal-client/go"
	pb "github.com/modal-labs/modal-client/go/proto/modal_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/modalc/modalc/runtime/modaltest"
)

// Every test package imports internal/golden, so go test ./... -update works.
var _ = golden.Update

// harness is a server, an unmodified SDK client pointed at it, and the
// client's own gRPC connection (captured by an interceptor) for raw calls.
type harness struct {
	srv    *modaltest.Server
	client *modal.Client
	ctx    context.Context

	mu      sync.Mutex
	conn    *grpc.ClientConn
	buildMu sync.Mutex
	logs    []string // ImageJoinStreaming task_logs, teed by a stream interceptor
}

func start(t *testing.T, opts ...modaltest.Option) *harness {
	t.Helper()
	srv := modaltest.Start(t, opts...)
	h := &harness{srv: srv}
	client, err := modal.NewClientWithOptions(&modal.ClientParams{
		TokenID:     "ak-test",
		TokenSecret: "as-test",
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		GRPCUnaryInterceptors: []grpc.UnaryClientInterceptor{
			func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
				h.mu.Lock()
				h.conn = cc
				h.mu.Unlock()
				return invoker(ctx, method, req, reply, cc, opts...)
			},
		},
		GRPCStreamInterceptors: []grpc.StreamClientInterceptor{h.teeBuildLogs},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	h.client = client
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	h.ctx = ctx
	return h
}

// teeBuildLogs records the log lines of image builds, which the SDK drops.
func (h *harness) teeBuildLogs(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil || !strings.HasSuffix(method, "/ImageJoinStreaming") {
		return cs, err
	}
	return &logTee{ClientStream: cs, h: h}, nil
}

type logTee struct {
	grpc.ClientStream
	h *harness
}

func (t *logTee) RecvMsg(m any) error {
	err := t.ClientStream.RecvMsg(m)
	if resp, ok := m.(*pb.ImageJoinStreamingResponse); ok && err == nil {
		t.h.buildMu.Lock()
		for _, l := range resp.GetTaskLogs() {
			t.h.logs = append(t.h.logs, l.GetData())
		}
		t.h.buildMu.Unlock()
	}
	return err
}

func (h *harness) buildLogs() []string {
	h.buildMu.Lock()
	defer h.buildMu.Unlock()
	return slices.Clone(h.logs)
}

// raw returns a proto client over the SDK's connection (so raw calls get the
// SDK's auth, headers and retries); it needs one SDK unary call first.
func (h *harness) raw(t *testing.T) pb.ModalClientClient {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn == nil {
		t.Fatal("no SDK call has been made yet")
	}
	return pb.NewModalClientClient(h.conn)
}

func (h *harness) app(t *testing.T) *modal.App {
	t.Helper()
	app, err := h.client.Apps.FromName(h.ctx, "modaltest-app", &modal.AppFromNameParams{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func (h *harness) sandboxState(t *testing.T, id string) modaltest.Sandbox {
	t.Helper()
	for _, sb := range h.srv.State().Sandboxes {
		if sb.ID == id {
			return sb
		}
	}
	t.Fatalf("sandbox %s not in server state", id)
	return modaltest.Sandbox{}
}

var v1ID = regexp.MustCompile(`^sb-[0-9A-Za-z]{22}$`)

func TestAppGetOrCreate(t *testing.T) {
	h := start(t)
	a1 := h.app(t)
	a2 := h.app(t)
	if a1.AppID == "" || a1.AppID != a2.AppID {
		t.Errorf("app IDs %q and %q: want one non-empty ID", a1.AppID, a2.AppID)
	}
	_, err := h.client.Apps.FromName(h.ctx, "absent", nil)
	var nf modal.NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("FromName of a missing app without CreateIfMissing: got %v, want NotFoundError", err)
	}
	st := h.srv.State()
	if len(st.Apps) != 1 || st.Apps[0].Name != "modaltest-app" {
		t.Errorf("apps = %+v, want one modaltest-app", st.Apps)
	}
	if st.Calls["AuthTokenGet"] < 1 || st.Calls["AppGetOrCreate"] != 3 {
		t.Errorf("calls = %v, want AuthTokenGet ≥ 1 and AppGetOrCreate 3", st.Calls)
	}
}

func TestSandboxV2(t *testing.T) {
	h := start(t)
	h.srv.AddSecret("db", map[string]string{"PASSWORD": "hunter2"})
	app := h.app(t)
	secret, err := h.client.Secrets.FromName(h.ctx, "db", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Secrets.FromName(h.ctx, "nope", nil); !errors.As(err, new(modal.NotFoundError)) {
		t.Errorf("missing secret: got %v, want NotFoundError", err)
	}
	img, err := h.client.Images.FromRegistry("alpine:3.20", nil).Build(h.ctx, app, nil)
	if err != nil {
		t.Fatal(err)
	}
	params := &modal.SandboxCreateParams{
		Name:           "web",
		Tags:           map[string]string{"owner": "modaltest", "run": "r1"},
		Env:            map[string]string{"GREETING": "hi"},
		Secrets:        []*modal.Secret{secret},
		CPU:            2,
		MemoryMiB:      1024,
		Workdir:        "/srv",
		EncryptedPorts: []int{8080},
		Command:        []string{"sleep", "infinity"},
	}
	sb, err := h.client.Sandboxes.Create(h.ctx, app, img, params)
	if err != nil {
		t.Fatal(err)
	}
	if v1ID.MatchString(sb.SandboxID) {
		t.Fatalf("V2 create returned V1-shaped ID %s", sb.SandboxID)
	}

	got := h.sandboxState(t, sb.SandboxID)
	if !got.V2 || got.Name != "web" || got.Status != "running" || got.CPU != 2 || got.MemoryMiB != 1024 ||
		got.ImageID != img.ImageID || got.Tags["owner"] != "modaltest" || got.Workdir != "/srv" ||
		!slices.Equal(got.EnvKeys, []string{"GREETING", "PASSWORD"}) || !slices.Equal(got.Ports, []int{8080}) ||
		!slices.Equal(got.Command, []string{"sleep", "infinity"}) {
		t.Errorf("sandbox state = %+v", got)
	}
	st := h.srv.State()
	if st.Calls["SandboxCreateV2"] != 1 || st.Calls["SandboxCreate"] != 0 {
		t.Errorf("calls = %v, want one SandboxCreateV2 and no SandboxCreate", st.Calls)
	}
	if len(st.Images) != 1 || !slices.Equal(st.Images[0].DockerfileCommands, []string{"FROM alpine:3.20"}) {
		t.Errorf("images = %+v", st.Images)
	}

	tags, err := sb.GetTags(h.ctx, nil)
	if err != nil || tags["run"] != "r1" {
		t.Errorf("GetTags = %v, %v", tags, err)
	}
	tunnels, err := sb.Tunnels(h.ctx, time.Second, nil)
	if err != nil || tunnels[8080] == nil {
		t.Errorf("Tunnels = %v, %v", tunnels, err)
	}
	if found, err := h.client.Sandboxes.FromName(h.ctx, "modaltest-app", "web", nil); err != nil || found.SandboxID != sb.SandboxID {
		t.Errorf("FromName = %v, %v", found, err)
	}

	// Names are unique per app among running sandboxes.
	if _, err := h.client.Sandboxes.Create(h.ctx, app, img, &modal.SandboxCreateParams{Name: "web"}); !errors.As(err, new(modal.AlreadyExistsError)) {
		t.Errorf("duplicate name: got %v, want AlreadyExistsError", err)
	}

	// Exec runs a local process in the sandbox's directory, with its env.
	p, err := sb.Exec(h.ctx, []string{"sh", "-c", `echo hi; echo "$GREETING $PASSWORD"; pwd; echo oops >&2; exit 3`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := io.ReadAll(p.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	stderr, _ := io.ReadAll(p.Stderr)
	code, err := p.Wait(h.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantOut := "hi\nhi hunter2\n" + filepath.Join(got.Dir, "srv") + "\n"
	if string(stdout) != wantOut || string(stderr) != "oops\n" || code != 3 {
		t.Errorf("exec: stdout %q stderr %q code %d; want %q, %q, 3", stdout, stderr, code, wantOut, "oops\n")
	}

	// Stdin reaches the process.
	cat, err := sb.Exec(h.ctx, []string{"cat"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(cat.Stdin, "piped\n")
	cat.Stdin.Close()
	if out, _ := io.ReadAll(cat.Stdout); string(out) != "piped\n" {
		t.Errorf("cat stdout = %q", out)
	}
	if code, err := cat.Wait(h.ctx, nil); code != 0 || err != nil {
		t.Errorf("cat exit = %d, %v", code, err)
	}

	// The filesystem API goes through the fs-tools emulation.
	fs := sb.Filesystem
	if err := fs.WriteText(h.ctx, "hello, sandbox", "/data/notes/a.txt", nil); err != nil {
		t.Fatal(err)
	}
	if text, err := fs.ReadText(h.ctx, "/data/notes/a.txt", nil); err != nil || text != "hello, sandbox" {
		t.Errorf("ReadText = %q, %v", text, err)
	}
	if b, err := os.ReadFile(filepath.Join(got.Dir, "data/notes/a.txt")); err != nil || string(b) != "hello, sandbox" {
		t.Errorf("file on the host = %q, %v", b, err)
	}
	if _, err := fs.ReadText(h.ctx, "/data/absent", nil); !errors.As(err, new(modal.SandboxFilesystemNotFoundError)) {
		t.Errorf("ReadText of a missing file: got %v, want SandboxFilesystemNotFoundError", err)
	}
	if _, err := fs.ReadText(h.ctx, "/data", nil); !errors.As(err, new(modal.SandboxFilesystemIsADirectoryError)) {
		t.Errorf("ReadText of a directory: got %v, want SandboxFilesystemIsADirectoryError", err)
	}
	if err := fs.MakeDirectory(h.ctx, "/data/empty", nil); err != nil {
		t.Error(err)
	}
	entries, err := fs.ListFiles(h.ctx, "/data", nil)
	if err != nil || len(entries) != 2 || entries[0].Name != "empty" || entries[0].Type != modal.FileTypeDirectory || entries[1].Path != "/data/notes" {
		t.Errorf("ListFiles = %+v, %v", entries, err)
	}
	if info, err := fs.Stat(h.ctx, "/data/notes/a.txt", nil); err != nil || info.Size != 14 || info.Type != modal.FileTypeFile {
		t.Errorf("Stat = %+v, %v", info, err)
	}
	if err := fs.Remove(h.ctx, "/data", nil); !errors.As(err, new(modal.SandboxFilesystemDirectoryNotEmptyError)) {
		t.Errorf("Remove of a non-empty directory: got %v, want SandboxFilesystemDirectoryNotEmptyError", err)
	}
	if err := fs.Remove(h.ctx, "/data", &modal.SandboxFilesystemRemoveParams{Recursive: true}); err != nil {
		t.Error(err)
	}

	// Poll does not wait; SandboxWaitV2 blocks up to its timeout.
	if code, err := sb.Poll(h.ctx, nil); code != nil || err != nil {
		t.Errorf("Poll of a running sandbox = %v, %v; want nil", code, err)
	}
	t0 := time.Now()
	waitResp, err := h.raw(t).SandboxWaitV2(h.ctx, pb.SandboxWaitRequest_builder{SandboxId: sb.SandboxID, Timeout: 0.2}.Build())
	if d := time.Since(t0); err != nil || waitResp.GetResult() != nil || d < 200*time.Millisecond {
		t.Errorf("SandboxWaitV2{timeout: 0.2} on a running sandbox = %v, %v after %v", waitResp, err, d)
	}

	// Terminate and wait: 137, as the SDK maps TERMINATED.
	code, err = sb.Terminate(h.ctx, &modal.SandboxTerminateParams{Wait: true})
	if err != nil || code != 137 {
		t.Errorf("Terminate = %d, %v; want 137", code, err)
	}
	if got := h.sandboxState(t, sb.SandboxID); got.Status != "terminated" || got.FinishedAt.IsZero() {
		t.Errorf("after terminate: %+v", got)
	}
	// A handle that knows the task goes straight to the router, which refuses;
	// a fresh handle asks for the task and learns the sandbox has finished.
	if _, err := sb.Exec(h.ctx, []string{"true"}, nil); status.Code(err) != codes.NotFound {
		t.Errorf("exec after terminate: got %v, want NOT_FOUND", err)
	}
	fresh, _ := h.client.Sandboxes.FromID(h.ctx, sb.SandboxID, nil)
	if _, err := fresh.Exec(h.ctx, []string{"true"}, nil); !errors.As(err, new(modal.ConflictError)) {
		t.Errorf("exec after terminate (fresh handle): got %v, want ConflictError", err)
	}
	// The name is free again.
	sb2, err := h.client.Sandboxes.Create(h.ctx, app, img, &modal.SandboxCreateParams{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if st := h.srv.State(); st.Running != 1 {
		t.Errorf("running = %d, want 1", st.Running)
	}
	sb2.Terminate(h.ctx, nil)
}

func TestGPUUsesV1(t *testing.T) {
	h := start(t)
	app := h.app(t)
	img := h.client.Images.FromRegistry("nvidia/cuda:12.4.0-base-ubuntu22.04", nil)
	sb, err := h.client.Sandboxes.Create(h.ctx, app, img, &modal.SandboxCreateParams{
		GPU:  "A100",
		Env:  map[string]string{"X": "1"},
		Tags: map[string]string{"owner": "modaltest"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !v1ID.MatchString(sb.SandboxID) {
		t.Errorf("GPU sandbox ID %q is not V1-shaped", sb.SandboxID)
	}
	got := h.sandboxState(t, sb.SandboxID)
	if got.V2 || got.GPU != "A100" || !slices.Equal(got.EnvKeys, []string{"X"}) || got.Tags["owner"] != "modaltest" {
		t.Errorf("sandbox state = %+v", got)
	}
	p, err := sb.Exec(h.ctx, []string{"sh", "-c", "echo $X"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := io.ReadAll(p.Stdout); string(out) != "1\n" {
		t.Errorf("exec stdout = %q", out)
	}
	if code, err := sb.Terminate(h.ctx, &modal.SandboxTerminateParams{Wait: true}); code != 137 || err != nil {
		t.Errorf("Terminate = %d, %v", code, err)
	}
	st := h.srv.State()
	for _, rpc := range []string{"SandboxCreate", "SandboxGetTaskId", "TaskGetCommandRouterAccess", "SandboxTerminate", "SandboxWait"} {
		if st.Calls[rpc] == 0 {
			t.Errorf("no %s call; calls = %v", rpc, st.Calls)
		}
	}
	if st.Calls["SandboxCreateV2"] != 0 || st.Calls["SecretGetOrCreate"] != 1 {
		t.Errorf("calls = %v, want no SandboxCreateV2 and one (ephemeral) SecretGetOrCreate", st.Calls)
	}
}

func TestListPaging(t *testing.T) {
	h := start(t, modaltest.WithListPageSize(2))
	app := h.app(t)
	img, err := h.client.Images.FromRegistry("alpine", nil).Build(h.ctx, app, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 5 {
		sb, err := h.client.Sandboxes.Create(h.ctx, app, img, &modal.SandboxCreateParams{Tags: map[string]string{"run": "a"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sb.SandboxID)
	}
	other, err := h.client.Sandboxes.Create(h.ctx, app, img, &modal.SandboxCreateParams{Tags: map[string]string{"run": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		t.Helper()
		seq, err := h.client.Sandboxes.List(h.ctx, &modal.SandboxListParams{AppID: app.AppID, Tags: map[string]string{"run": "a"}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for sb, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, sb.SandboxID)
		}
		return got
	}
	before := h.srv.State().Calls["SandboxListV2"]
	got := list()
	newestFirst := slices.Clone(ids)
	slices.Reverse(newestFirst)
	if !slices.Equal(got, newestFirst) {
		t.Errorf("listed %v, want %v (newest first)", got, newestFirst)
	}
	if calls := h.srv.State().Calls["SandboxListV2"] - before; calls != 4 {
		t.Errorf("%d SandboxListV2 calls, want 4 (pages of 2, 2, 1, then an empty one)", calls)
	}
	if slices.Contains(got, other.SandboxID) {
		t.Error("a sandbox with another tag was listed")
	}

	// Finished sandboxes are left out unless asked for.
	first, err := h.client.Sandboxes.FromID(h.ctx, ids[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Terminate(h.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 4 || slices.Contains(got, ids[0]) {
		t.Errorf("after terminating %s, listed %v", ids[0], got)
	}
	resp, err := h.raw(t).SandboxListV2(h.ctx, pb.SandboxListRequest_builder{
		AppId:           app.AppID,
		IncludeFinished: true,
		Tags:            []*pb.SandboxTag{pb.SandboxTag_builder{TagName: "run", TagValue: "a"}.Build()},
	}.Build())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.GetSandboxes()); n != 2 {
		t.Errorf("raw list page has %d sandboxes, want 2", n)
	}
	info := resp.GetSandboxes()[0]
	if info.GetId() != ids[4] || info.GetAppId() != app.AppID || info.GetCreatedAt() == 0 || info.GetTaskInfo().GetResult() != nil {
		t.Errorf("raw list info = %v", info)
	}
}

func TestImageBuildLogsAndFailure(t *testing.T) {
	h := start(t)
	app := h.app(t)
	base := h.client.Images.FromRegistry("alpine:3.20", nil)
	img, err := base.DockerfileCommands([]string{"RUN apk add curl", "ENV A=1"}, nil).Build(h.ctx, app, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantLogs := []string{"Step 1/1 : FROM alpine:3.20", "Step 1/3 : FROM base", "Step 2/3 : RUN apk add curl", "Step 3/3 : ENV A=1"}
	logs := strings.Join(h.buildLogs(), "")
	for _, want := range wantLogs {
		if !strings.Contains(logs, want+"\n") {
			t.Errorf("build logs lack %q:\n%s", want, logs)
		}
	}

	// The same definition again is already built: no new image, no logs.
	before := len(h.buildLogs())
	again, err := h.client.Images.FromRegistry("alpine:3.20", nil).DockerfileCommands([]string{"RUN apk add curl", "ENV A=1"}, nil).Build(h.ctx, app, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.ImageID != img.ImageID {
		t.Errorf("rebuild gave %s, want %s", again.ImageID, img.ImageID)
	}
	if st := h.srv.State(); len(st.Images) != 2 || st.Images[1].Hits != 1 || len(h.buildLogs()) != before {
		t.Errorf("after an identical build: images %+v", st.Images)
	}

	_, err = h.client.Images.FromRegistry("alpine:3.20", nil).DockerfileCommands([]string{"RUN echo ok", "RUN exit 3"}, nil).Build(h.ctx, app, nil)
	var remote modal.RemoteError
	if !errors.As(err, &remote) || !strings.Contains(err.Error(), "returned a non-zero code: 3") {
		t.Errorf("failing build: got %v, want RemoteError about code 3", err)
	}
	st := h.srv.State()
	failed := st.Images[len(st.Images)-1]
	if failed.Status != "failure" || !slices.Contains(failed.Log, "Step 3/3 : RUN exit 3\n") {
		t.Errorf("failed image = %+v", failed)
	}
}

func TestTransientFaultsAndRetries(t *testing.T) {
	h := start(t)
	app := h.app(t)
	img, err := h.client.Images.FromRegistry("alpine", nil).Build(h.ctx, app, nil)
	if err != nil {
		t.Fatal(err)
	}

	// A sandbox with a one-second timeout, checked at the end (the retries
	// below take longer than that).
	short, err := h.client.Sandboxes.Create(h.ctx, app, img, &modal.SandboxCreateParams{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}

	// Three UNAVAILABLE in a row are absorbed by the SDK's retries.
	h.srv.Fail("SandboxCreateV2", modaltest.Fault{N: 1, Times: 3})
	if _, err := h.client.Sandboxes.Create(h.ctx, app, img, nil); err != nil {
		t.Errorf("create with 3 transient faults: %v", err)
	}
	if n := h.srv.State().Calls["SandboxCreateV2"]; n != 5 {
		t.Errorf("%d SandboxCreateV2 calls, want 5 (1 + 4 attempts)", n)
	}

	// Four are not.
	h.srv.Fail("/modal.client.ModalClient/SandboxCreateV2", modaltest.Fault{N: 1, Times: 4})
	_, err = h.client.Sandboxes.Create(h.ctx, app, img, nil)
	if status.Code(err) != codes.Unavailable {
		t.Errorf("create with 4 transient faults: got %v, want UNAVAILABLE", err)
	}

	// A permanent fault is not retried.
	h.srv.Fail("SandboxCreateV2", modaltest.Fault{Kind: modaltest.Permanent})
	before := h.srv.State().Calls["SandboxCreateV2"]
	_, err = h.client.Sandboxes.Create(h.ctx, app, img, nil)
	if status.Code(err) != codes.FailedPrecondition || h.srv.State().Calls["SandboxCreateV2"] != before+1 {
		t.Errorf("permanent fault: got %v after %d calls", err, h.srv.State().Calls["SandboxCreateV2"]-before)
	}
	if code, err := short.Wait(h.ctx, nil); code != 124 || err != nil {
		t.Errorf("Wait on a sandbox past its timeout = %d, %v; want 124", code, err)
	}
	if st := h.srv.State(); st.Running != 1 || st.Sandboxes[0].Status != "timeout" {
		t.Errorf("%d sandboxes running (want 1), first is %q (want timeout)", st.Running, st.Sandboxes[0].Status)
	}

	// Latency applies to every call.
	h.srv.SetLatency(50 * time.Millisecond)
	t0 := time.Now()
	h.app(t)
	if d := time.Since(t0); d < 50*time.Millisecond {
		t.Errorf("call took %v with 50ms latency", d)
	}
}

func TestAfterCommitFault(t *testing.T) {
	h := start(t)
	app := h.app(t)
	img, err := h.client.Images.FromRegistry("alpine", nil).Build(h.ctx, app, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first create takes effect but its answer is lost; the SDK's retry
	// then collides with the name the lost call took.
	h.srv.Fail("SandboxCreateV2", modaltest.Fault{Kind: modaltest.AfterCommit})
	_, err = h.client.Sandboxes.Create(h.ctx, app, img, &modal.SandboxCreateParams{Name: "svc", Tags: map[string]string{"run": "x"}})
	if !errors.As(err, new(modal.AlreadyExistsError)) {
		t.Errorf("create after a lost answer: got %v, want AlreadyExistsError", err)
	}
	st := h.srv.State()
	if st.Running != 1 || st.Sandboxes[0].Name != "svc" || st.Calls["SandboxCreateV2"] != 2 {
		t.Errorf("state = %+v", st)
	}
	// The orphan is found by its tag, as a cleanup would find it.
	seq, err := h.client.Sandboxes.List(h.ctx, &modal.SandboxListParams{AppID: app.AppID, Tags: map[string]string{"run": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for sb, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, sb.SandboxID)
	}
	if len(found) != 1 || found[0] != st.Sandboxes[0].ID {
		t.Errorf("listed %v, want the orphan %s", found, st.Sandboxes[0].ID)
	}
}

func TestRawMountsAndContextBuild(t *testing.T) {
	h := start(t)
	app := h.app(t)
	raw := h.raw(t)
	ctx := h.ctx

	small := []byte("print('hello')\n")
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, sent as a blob
	type file struct {
		name string
		data []byte
		blob bool
	}
	files := []file{{"/app.py", small, false}, {"/data/big.bin", big, true}}
	sha := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

	// upload follows Modal's protocol: ask whether the content exists, send it
	// if not (inline or through a blob), then make the mount.
	upload := func() (mountID string, sent int) {
		var mfs []*pb.MountFile
		for _, f := range files {
			resp, err := raw.MountPutFile(ctx, pb.MountPutFileRequest_builder{Sha256Hex: sha(f.data)}.Build())
			if err != nil {
				t.Fatal(err)
			}
			if !resp.GetExists() {
				sent++
				req := pb.MountPutFileRequest_builder{Sha256Hex: sha(f.data)}
				if f.blob {
					blob, err := raw.BlobCreate(ctx, pb.BlobCreateRequest_builder{ContentLength: int64(len(f.data))}.Build())
					if err != nil {
						t.Fatal(err)
					}
					httpReq, _ := http.NewRequestWithContext(ctx, http.MethodPut, blob.GetUploadUrl(), bytes.NewReader(f.data))
					httpResp, err := http.DefaultClient.Do(httpReq)
					if err != nil || httpResp.StatusCode != http.StatusOK {
						t.Fatalf("blob upload: %v %v", httpResp, err)
					}
					httpResp.Body.Close()
					id := blob.GetBlobId()
					req.DataBlobId = &id
				} else {
					req.Data = f.data
				}
				resp, err := raw.MountPutFile(ctx, req.Build())
				if err != nil || !resp.GetExists() {
					t.Fatalf("MountPutFile = %v, %v", resp, err)
				}
			}
			size, mode := uint64(len(f.data)), uint32(0o644)
			mfs = append(mfs, pb.MountFile_builder{Filename: f.name, Sha256Hex: sha(f.data), Size: &size, Mode: &mode}.Build())
		}
		resp, err := raw.MountGetOrCreate(ctx, pb.MountGetOrCreateRequest_builder{
			ObjectCreationType: pb.ObjectCreationType_OBJECT_CREATION_TYPE_ANONYMOUS_OWNED_BY_APP,
			AppId:              app.AppID,
			Files:              mfs,
		}.Build())
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetMountId(), sent
	}
	build := func(mountID string, commands ...string) (*pb.ImageGetOrCreateResponse, *pb.GenericResult, []string) {
		resp, err := raw.ImageGetOrCreate(ctx, pb.ImageGetOrCreateRequest_builder{
			AppId: app.AppID,
			Image: pb.Image_builder{
				DockerfileCommands: commands,
				ContextMountId:     mountID,
				BuildArgs:          map[string]string{"VERSION": "2"},
			}.Build(),
			BuilderVersion: "2024.10",
		}.Build())
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetResult() != nil {
			return resp, resp.GetResult(), nil
		}
		stream, err := raw.ImageJoinStreaming(ctx, pb.ImageJoinStreamingRequest_builder{ImageId: resp.GetImageId(), Timeout: 55}.Build())
		if err != nil {
			t.Fatal(err)
		}
		var logs []string
		for {
			msg, err := stream.Recv()
			if err != nil {
				t.Fatalf("join stream ended without a result: %v", err)
			}
			for _, l := range msg.GetTaskLogs() {
				logs = append(logs, l.GetData())
			}
			if r := msg.GetResult(); r != nil {
				return resp, r, logs
			}
		}
	}
	dockerfile := []string{"FROM python:3.12-slim", "ARG VERSION=1", "COPY app.py /app/", "COPY data/ /data/", "RUN echo $VERSION"}

	mountID, sent := upload()
	if sent != 2 {
		t.Errorf("first upload sent %d files, want 2", sent)
	}
	st := h.srv.State()
	if want := int64(len(small) + len(big)); st.BytesUploaded != want {
		t.Errorf("bytes uploaded = %d, want %d", st.BytesUploaded, want)
	}
	if len(st.Mounts) != 1 || len(st.Mounts[0].Files) != 2 || st.Mounts[0].Files[1].Size != uint64(len(big)) {
		t.Errorf("mounts = %+v", st.Mounts)
	}
	resp, result, logs := build(mountID, dockerfile...)
	if result.GetStatus() != pb.GenericResult_GENERIC_STATUS_SUCCESS || len(logs) != 6 || logs[2] != "Step 3/5 : COPY app.py /app/\n" {
		t.Errorf("build: %v, logs %q", result, logs)
	}
	img := h.srv.State().Images[0]
	if img.ContextMountID != mountID || img.BuildArgs["VERSION"] != "2" || !slices.Equal(img.ContextFiles, []string{"/app.py", "/data/big.bin"}) {
		t.Errorf("image state = %+v", img)
	}

	// A second apply sends nothing, and its build is already done.
	mountID2, sent := upload()
	if sent != 0 || h.srv.State().BytesUploaded != st.BytesUploaded {
		t.Errorf("second upload sent %d files, bytes uploaded %d → %d", sent, st.BytesUploaded, h.srv.State().BytesUploaded)
	}
	resp2, result, logs := build(mountID2, dockerfile...)
	if resp2.GetImageId() != resp.GetImageId() || result.GetStatus() != pb.GenericResult_GENERIC_STATUS_SUCCESS || logs != nil {
		t.Errorf("rebuild: %s (want %s), %v, logs %q", resp2.GetImageId(), resp.GetImageId(), result, logs)
	}

	// COPY of a file the context lacks fails the build.
	_, result, _ = build(mountID, "FROM python:3.12-slim", "COPY missing.txt /")
	if result.GetStatus() != pb.GenericResult_GENERIC_STATUS_FAILURE || !strings.Contains(result.GetException(), "missing.txt") {
		t.Errorf("COPY of a missing file: %v", result)
	}

	// A mount of content never uploaded is refused.
	_, err := raw.MountGetOrCreate(ctx, pb.MountGetOrCreateRequest_builder{
		ObjectCreationType: pb.ObjectCreationType_OBJECT_CREATION_TYPE_ANONYMOUS_OWNED_BY_APP,
		AppId:              app.AppID,
		Files:              []*pb.MountFile{pb.MountFile_builder{Filename: "/x", Sha256Hex: sha([]byte("x"))}.Build()},
	}.Build())
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("mount of missing content: got %v, want FAILED_PRECONDITION", err)
	}
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		spec string
		rpc  string
		want modaltest.Fault
		bad  bool
	}{
		{spec: "SandboxCreateV2:1", rpc: "SandboxCreateV2", want: modaltest.Fault{N: 1}},
		{spec: "SandboxCreateV2:2x4", rpc: "SandboxCreateV2", want: modaltest.Fault{N: 2, Times: 4}},
		{spec: "ImageGetOrCreate:1:permanent", rpc: "ImageGetOrCreate", want: modaltest.Fault{N: 1, Kind: modaltest.Permanent}},
		{spec: "/modal.client.ModalClient/SandboxCreateV2:3:after-commit", rpc: "/modal.client.ModalClient/SandboxCreateV2", want: modaltest.Fault{N: 3, Kind: modaltest.AfterCommit}},
		{spec: "AppGetOrCreate:1x*:permanent=permission_denied", rpc: "AppGetOrCreate", want: modaltest.Fault{N: 1, Times: -1, Kind: modaltest.Permanent, Code: codes.PermissionDenied}},
		{spec: "SandboxCreateV2", bad: true},
		{spec: "SandboxCreateV2:0", bad: true},
		{spec: "SandboxCreateV2:1:sometimes", bad: true},
		{spec: "SandboxCreateV2:1:permanent=NOPE", bad: true},
		{spec: ":1", bad: true},
	}
	for _, tt := range tests {
		rpc, f, err := modaltest.ParseFault(tt.spec)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseFault(%q) = %q, %+v; want an error", tt.spec, rpc, f)
			}
			continue
		}
		if err != nil || rpc != tt.rpc || f != tt.want {
			t.Errorf("ParseFault(%q) = %q, %+v, %v; want %q, %+v", tt.spec, rpc, f, err, tt.rpc, tt.want)
		}
		if back := tt.rpc + ":" + f.String(); back != tt.spec && !strings.EqualFold(back, tt.spec) {
			t.Errorf("Fault.String round trip: %q → %q", tt.spec, back)
		}
	}
}
