package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	modal "github.com/modal-labs/modal-client/go"
	pb "github.com/modal-labs/modal-client/go/proto/modal_proto"
	"google.golang.org/grpc/codes"

	"github.com/modalc/modalc/internal/golden"
	"github.com/modalc/modalc/runtime/modaltest"
)

var _ = golden.Update

// syncBuffer is a BuildLog that tests can read while builds write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// buildHarness is a fake control plane, a Client connected to it (whose
// connection is known: an app lookup was made), and that app's ID.
type buildHarness struct {
	srv   *modaltest.Server
	c     *Client
	log   *syncBuffer
	appID string
	ctx   context.Context
}

func startBuild(t *testing.T, opts ...modaltest.Option) *buildHarness {
	t.Helper()
	srv := modaltest.Start(t, opts...)
	log := &syncBuffer{}
	c, err := Connect(Options{BuildLog: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	app, err := c.SDK.Apps.FromName(ctx, "modalc-build-test", &modal.AppFromNameParams{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	return &buildHarness{srv: srv, c: c, log: log, appID: app.AppID, ctx: ctx}
}

// contextDir writes files (path → content; a "->" prefix makes a symlink)
// under a new directory and returns their ContextFiles, as the manifest
// would list them.
func contextDir(t *testing.T, files map[string]string) (string, []ContextFile) {
	t.Helper()
	dir := t.TempDir()
	var out []ContextFile
	for rel, content := range files {
		abs := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, abs); err != nil {
				t.Fatal(err)
			}
			out = append(out, ContextFile{Path: rel, Abs: abs, Mode: fs.ModeSymlink | 0o777, Size: int64(len(target)), SHA256: sha256Hex([]byte(target))})
			continue
		}
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(rel, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(abs, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		out = append(out, ContextFile{Path: rel, Abs: abs, Mode: mode, Size: int64(len(content)), SHA256: sha256Hex([]byte(content))})
	}
	slices.SortFunc(out, func(a, b ContextFile) int { return strings.Compare(a.Path, b.Path) })
	return dir, out
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// joinLog is a build's log as the server sent it.
func joinLog(img modaltest.Image) string { return strings.Join(img.Log, "") }

func TestBuildDockerfile(t *testing.T) {
	h := startBuild(t)
	_, files := contextDir(t, map[string]string{
		"app.py":     "print('hello')\n",
		"bin/run.sh": "#!/bin/sh\nexec python /app/app.py\n",
	})
	b := DockerfileBuild{
		AppID:     h.appID,
		Commands:  []string{"FROM python:3.12-slim", "ARG GREETING=hi", "COPY app.py /app/", "COPY bin/run.sh /usr/local/bin/", "RUN echo $GREETING", ""},
		Files:     files,
		BuildArgs: map[string]string{"GREETING": "hello"},
	}
	id, err := h.c.BuildDockerfile(h.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	st := h.srv.State()
	if len(st.Images) != 1 || st.Images[0].ID != id || st.Images[0].Status != "success" {
		t.Fatalf("images = %+v, built %s", st.Images, id)
	}
	img := st.Images[0]
	if !slices.Equal(img.DockerfileCommands, b.Commands) || img.BuildArgs["GREETING"] != "hello" ||
		img.BuilderVersion != modaltest.DefaultImageBuilderVersion || img.GPU != "" {
		t.Errorf("image definition = %+v", img)
	}
	if len(st.Mounts) != 1 || img.ContextMountID != st.Mounts[0].ID || st.Mounts[0].AppID != h.appID {
		t.Fatalf("mounts = %+v, image context %s", st.Mounts, img.ContextMountID)
	}
	want := []modaltest.MountFile{
		{Filename: "/app.py", Sha256Hex: files[0].SHA256, Size: uint64(files[0].Size), Mode: 0o644},
		{Filename: "/bin/run.sh", Sha256Hex: files[1].SHA256, Size: uint64(files[1].Size), Mode: 0o755},
	}
	if diff := cmp.Diff(want, st.Mounts[0].Files); diff != "" {
		t.Errorf("mount files (-want +got):\n%s", diff)
	}
	if want := files[0].Size + files[1].Size; st.BytesUploaded != want {
		t.Errorf("bytes uploaded = %d, want %d", st.BytesUploaded, want)
	}
	if st.Calls["BlobCreate"] != 0 || st.Calls["EnvironmentGetOrCreate"] != 1 {
		t.Errorf("calls = %v", st.Calls)
	}
	if got, want := h.log.String(), joinLog(img); got != want || !strings.Contains(got, "Step 3/5 : COPY app.py /app/") {
		t.Errorf("build log = %q, want %q", got, want)
	}

	// The same build again: nothing is sent, and the image is the one built.
	logged := h.log.String()
	id2, err := h.c.BuildDockerfile(h.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	st2 := h.srv.State()
	if id2 != id || st2.BytesUploaded != st.BytesUploaded || len(st2.Images) != 1 || st2.Images[0].Hits != 1 {
		t.Errorf("rebuild: image %s (want %s), bytes uploaded %d → %d, images %+v", id2, id, st.BytesUploaded, st2.BytesUploaded, st2.Images)
	}
	if n := st2.Calls["MountPutFile"] - st.Calls["MountPutFile"]; n != 2 {
		t.Errorf("rebuild made %d MountPutFile calls, want 2 (existence checks)", n)
	}
	if h.log.String() != logged {
		t.Errorf("rebuild logged %q", strings.TrimPrefix(h.log.String(), logged))
	}

	// One file changes: only it is sent.
	if err := os.WriteFile(files[0].Abs, []byte("print('bye')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Files = slices.Clone(files)
	b.Files[0].SHA256, b.Files[0].Size = sha256Hex([]byte("print('bye')\n")), int64(len("print('bye')\n"))
	id3, err := h.c.BuildDockerfile(h.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if st3 := h.srv.State(); id3 == id || st3.BytesUploaded != st.BytesUploaded+b.Files[0].Size {
		t.Errorf("after a change: image %s (first %s), bytes uploaded %d → %d", id3, id, st.BytesUploaded, st3.BytesUploaded)
	}
}

func TestBuildDockerfileNoContextAndGPU(t *testing.T) {
	h := startBuild(t)
	t.Setenv("MODAL_IMAGE_BUILDER_VERSION", "2025.06")
	id, err := h.c.BuildDockerfile(h.ctx, DockerfileBuild{AppID: h.appID, Commands: []string{"FROM alpine:3.20", "RUN true"}, GPU: "a10g:2"})
	if err != nil {
		t.Fatal(err)
	}
	st := h.srv.State()
	if len(st.Images) != 1 || st.Images[0].ID != id || st.Images[0].GPU != "A10G:2" || st.Images[0].ContextMountID != "" ||
		st.Images[0].BuilderVersion != "2025.06" || len(st.Mounts) != 0 || st.Calls["EnvironmentGetOrCreate"] != 0 {
		t.Errorf("state = %+v", st)
	}
	if _, err := h.c.BuildDockerfile(h.ctx, DockerfileBuild{AppID: h.appID, Commands: []string{"FROM alpine"}, GPU: "T4:0"}); err == nil {
		t.Error("GPU T4:0 accepted")
	}
}

func TestBuildDockerfileLargeFiles(t *testing.T) {
	for _, tc := range []struct {
		name        string
		opts        []modaltest.Option
		puts, posts int // HTTP requests to the blob store
	}{
		{name: "single PUT", puts: 2},
		// 1 MiB parts: 5 for the 4.5 MiB file, 4 for the 4 MiB one, and a
		// completion each.
		{name: "multipart", opts: []modaltest.Option{modaltest.WithBlobMultipart(1 << 20)}, puts: 9, posts: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startBuild(t, tc.opts...)
			counter := &countingTransport{base: http.DefaultTransport, n: map[string]int{}}
			saved := blobHTTP
			blobHTTP = &http.Client{Transport: counter}
			t.Cleanup(func() { blobHTTP = saved })
			big := strings.Repeat("0123456789abcdef", (largeFileLimit+(1<<19))/16) // 4.5 MiB
			edge := strings.Repeat("x", largeFileLimit)                            // exactly the limit: a blob too
			under := strings.Repeat("y", largeFileLimit-1)                         // inline
			_, files := contextDir(t, map[string]string{"data/big.bin": big, "data/edge.bin": edge, "data/under.bin": under})
			id, err := h.c.BuildDockerfile(h.ctx, DockerfileBuild{
				AppID:    h.appID,
				Commands: []string{"FROM python:3.12-slim", "COPY data/ /data/"},
				Files:    files,
			})
			if err != nil {
				t.Fatal(err)
			}
			st := h.srv.State()
			if st.Calls["BlobCreate"] != 2 {
				t.Errorf("BlobCreate calls = %d, want 2 (the files of 4 MiB or more)", st.Calls["BlobCreate"])
			}
			if want := int64(len(big) + len(edge) + len(under)); st.BytesUploaded != want {
				t.Errorf("bytes uploaded = %d, want %d", st.BytesUploaded, want)
			}
			if len(st.Mounts) != 1 || len(st.Mounts[0].Files) != 3 || st.Mounts[0].Files[0].Size != uint64(len(big)) {
				t.Errorf("mounts = %+v", st.Mounts)
			}
			if len(st.Images) != 1 || st.Images[0].ID != id || st.Images[0].Status != "success" {
				t.Errorf("images = %+v", st.Images)
			}
			if counter.get("PUT") != tc.puts || counter.get("POST") != tc.posts {
				t.Errorf("blob store requests: %v, want %d PUT and %d POST", counter.n, tc.puts, tc.posts)
			}
		})
	}
}

// countingTransport counts HTTP requests by method.
type countingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.Method]++
	c.mu.Unlock()
	return c.base.RoundTrip(r)
}

func (c *countingTransport) get(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[method]
}

func TestBuildDockerfileSymlinks(t *testing.T) {
	h := startBuild(t)
	_, files := contextDir(t, map[string]string{
		"src/main.py":    "print(1)\n",
		"src/link.py":    "->main.py",
		"src/dirlink":    "->../other",
		"src/dangling":   "->nowhere",
		"other/keep.txt": "k",
	})
	var ctxFiles []ContextFile
	for _, f := range files {
		if strings.HasPrefix(f.Path, "src/") {
			ctxFiles = append(ctxFiles, f)
		}
	}
	if _, err := h.c.BuildDockerfile(h.ctx, DockerfileBuild{AppID: h.appID, Commands: []string{"FROM alpine", "COPY src /src"}, Files: ctxFiles}); err != nil {
		t.Fatal(err)
	}
	st := h.srv.State()
	main := sha256Hex([]byte("print(1)\n"))
	want := []modaltest.MountFile{
		{Filename: "/src/link.py", Sha256Hex: main, Size: 9, Mode: 0o644},
		{Filename: "/src/main.py", Sha256Hex: main, Size: 9, Mode: 0o644},
	}
	if len(st.Mounts) != 1 {
		t.Fatalf("mounts = %+v", st.Mounts)
	}
	if diff := cmp.Diff(want, st.Mounts[0].Files); diff != "" {
		t.Errorf("mount files (-want +got):\n%s", diff)
	}
	if st.BytesUploaded != 9 {
		t.Errorf("bytes uploaded = %d, want 9 (one content, sent once)", st.BytesUploaded)
	}
}

func TestBuildDockerfileChangedFile(t *testing.T) {
	h := startBuild(t)
	_, files := contextDir(t, map[string]string{"a.txt": "one"})
	if err := os.WriteFile(files[0].Abs, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := h.c.BuildDockerfile(h.ctx, DockerfileBuild{AppID: h.appID, Commands: []string{"FROM alpine", "COPY a.txt /"}, Files: files})
	if err == nil || !strings.Contains(err.Error(), "a.txt changed") {
		t.Errorf("err = %v, want a.txt changed", err)
	}
	if st := h.srv.State(); len(st.Images) != 0 || len(st.Mounts) != 0 {
		t.Errorf("state after a changed file: %+v", st)
	}
}

func TestBuildDockerfileFailure(t *testing.T) {
	h := startBuild(t, modaltest.WithBuildStepDelay(5*time.Millisecond))
	_, err := h.c.BuildDockerfile(h.ctx, DockerfileBuild{
		AppID:    h.appID,
		Commands: []string{"FROM alpine:3.20", "RUN echo building", "RUN exit 3", "RUN echo never"},
	})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a *BuildError", err)
	}
	st := h.srv.State()
	img := st.Images[len(st.Images)-1]
	if be.ImageID != img.ID || be.Status != "FAILURE" {
		t.Errorf("BuildError = %+v, image %s", be, img.ID)
	}
	wantTail := []string{
		"Step 1/4 : FROM alpine:3.20",
		"Step 2/4 : RUN echo building",
		"Step 3/4 : RUN exit 3",
		"The command '/bin/sh -c exit 3' returned a non-zero code: 3",
	}
	if diff := cmp.Diff(wantTail, be.Tail); diff != "" {
		t.Errorf("tail (-want +got):\n%s", diff)
	}
	if msg := be.Error(); !strings.Contains(msg, img.ID) || !strings.Contains(msg, "FAILURE") || !strings.Contains(msg, "non-zero code: 3") {
		t.Errorf("Error() = %q", msg)
	}
	// Each line reached the build log once, in order.
	if got, want := h.log.String(), joinLog(img); got != want {
		t.Errorf("build log = %q, want %q", got, want)
	}
}

func TestBuildJoinStreamBreaks(t *testing.T) {
	h := startBuild(t)
	// Two broken join streams: the build is followed to its end, each log
	// line logged once.
	h.srv.Fail("ImageJoinStreaming", modaltest.Fault{Times: 2})
	id, err := h.c.BuildDockerfile(h.ctx, DockerfileBuild{AppID: h.appID, Commands: []string{"FROM alpine", "RUN echo 1"}})
	if err != nil {
		t.Fatal(err)
	}
	st := h.srv.State()
	if st.Images[0].ID != id || st.Calls["ImageJoinStreaming"] != 3 || h.log.String() != joinLog(st.Images[0]) {
		t.Errorf("image %s, calls %v, log %q", id, st.Calls, h.log.String())
	}
	// Three: the wait ends, with the stream's error (not a BuildError).
	h.srv.Fail("ImageJoinStreaming", modaltest.Fault{Times: 3})
	_, err = h.c.BuildDockerfile(h.ctx, DockerfileBuild{AppID: h.appID, Commands: []string{"FROM alpine", "RUN echo 2"}})
	var be *BuildError
	if err == nil || errors.As(err, &be) || !strings.Contains(err.Error(), codes.Unavailable.String()) {
		t.Errorf("err = %v, want the stream's UNAVAILABLE", err)
	}
}

func TestBuildDefault(t *testing.T) {
	for _, tc := range []struct {
		name, serverVersion, envVersion, python string
		from, last                              string
		contextFiles                            []string
	}{
		{
			name: "2024.10", serverVersion: "2024.10", python: "3.12",
			from: "FROM python:3.12.6-slim-bookworm", last: "RUN rm /modal_requirements.txt",
			contextFiles: []string{"/modal_requirements.txt"},
		},
		{
			name: "2025.06", serverVersion: "2025.06", python: "3.13",
			from: "FROM python:3.13.3-slim-bookworm", last: `CMD ["sleep", "172800"]`,
		},
		{
			name: "env override", serverVersion: "2025.06", envVersion: "2023.12", python: "",
			from: "FROM python:3.12.1-slim-bullseye", last: "RUN echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections",
			contextFiles: []string{"/modal_requirements.txt"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startBuild(t, modaltest.WithImageBuilderVersion(tc.serverVersion))
			if tc.envVersion != "" {
				t.Setenv("MODAL_IMAGE_BUILDER_VERSION", tc.envVersion)
			}
			id, err := h.c.BuildDefault(h.ctx, h.appID, tc.python)
			if err != nil {
				t.Fatal(err)
			}
			st := h.srv.State()
			if len(st.Images) != 1 || st.Images[0].ID != id || st.Images[0].Status != "success" {
				t.Fatalf("images = %+v", st.Images)
			}
			img := st.Images[0]
			cmds := img.DockerfileCommands
			if cmds[0] != tc.from || cmds[len(cmds)-1] != tc.last {
				t.Errorf("commands = %q", cmds)
			}
			want := tc.serverVersion
			if tc.envVersion != "" {
				want = tc.envVersion
			}
			if img.BuilderVersion != want || !slices.Equal(img.ContextFiles, tc.contextFiles) {
				t.Errorf("builder version %s (want %s), context files %q (want %q)", img.BuilderVersion, want, img.ContextFiles, tc.contextFiles)
			}
			if h.log.String() != joinLog(img) {
				t.Errorf("build log = %q", h.log.String())
			}
			// The default image is built once.
			if id2, err := h.c.BuildDefault(h.ctx, h.appID, tc.python); err != nil || id2 != id {
				t.Errorf("second BuildDefault = %s, %v; want %s", id2, err, id)
			}
		})
	}
}

// TestDebianSlim pins the recipe, transcribed from modal/image.py
// (_Image.debian_slim) and modal/builder/base-images.json.
func TestDebianSlim(t *testing.T) {
	const debconf = "RUN echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections"
	tests := []struct {
		version, python string
		want            []string
		files           bool
	}{
		{"2023.12", "3.11", []string{
			"FROM python:3.11.0-slim-bullseye",
			"COPY /modal_requirements.txt /modal_requirements.txt",
			"RUN apt-get update",
			"RUN apt-get install -y gcc gfortran build-essential",
			"RUN pip install --upgrade pip",
			"RUN pip install -r /modal_requirements.txt",
			debconf,
		}, true},
		{"2024.04", "3.10", []string{
			"FROM python:3.10.14-slim-bookworm",
			"COPY /modal_requirements.txt /modal_requirements.txt",
			"RUN apt-get update",
			"RUN apt-get install -y gcc gfortran build-essential",
			"RUN pip install --upgrade pip wheel uv",
			"RUN pip install --no-cache --no-deps -r /modal_requirements.txt",
			debconf,
			"RUN rm /modal_requirements.txt",
		}, true},
		{"2024.10", "3.12.3", []string{
			"FROM python:3.12.3-slim-bookworm",
			"COPY /modal_requirements.txt /modal_requirements.txt",
			"RUN apt-get update",
			"RUN apt-get install -y gcc gfortran build-essential",
			"RUN pip install --upgrade pip wheel uv",
			"RUN uv pip install --system --compile-bytecode --no-cache --no-deps -r /modal_requirements.txt",
			debconf,
			"RUN rm /modal_requirements.txt",
		}, true},
		{"2025.06", "3.12", []string{
			"FROM python:3.12.10-slim-bookworm",
			"RUN apt-get update",
			"RUN apt-get install -y gcc gfortran build-essential",
			"RUN pip install --upgrade pip wheel uv",
			debconf,
			`CMD ["sleep", "172800"]`,
		}, false},
		{"PREVIEW", "3.14", []string{
			"FROM python:3.14.0-slim-bookworm",
			"RUN apt-get update",
			"RUN apt-get install -y gcc gfortran build-essential",
			"RUN pip install --upgrade pip wheel uv",
			debconf,
			`CMD ["sleep", "172800"]`,
		}, false},
		// A newer builder version than modalc knows gets the newest recipe.
		{"2026.01", "3.12", []string{
			"FROM python:3.12.10-slim-bookworm",
			"RUN apt-get update",
			"RUN apt-get install -y gcc gfortran build-essential",
			"RUN pip install --upgrade pip wheel uv",
			debconf,
			`CMD ["sleep", "172800"]`,
		}, false},
	}
	for _, tc := range tests {
		got, files, err := debianSlim(tc.version, tc.python)
		if err != nil {
			t.Errorf("%s %s: %v", tc.version, tc.python, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tc.version, tc.python, diff)
		}
		if tc.files != (len(files) == 1 && files[0].GetFilename() == "/modal_requirements.txt" && len(files[0].GetData()) > 0) {
			t.Errorf("%s: context files %v", tc.version, files)
		}
	}

	for _, bad := range []struct{ version, python string }{
		{"2025.06", "3.9"},   // not a supported series
		{"2024.04", "3.13"},  // not yet
		{"2025.06", "3.14t"}, // free-threaded
		{"2025.06", "2.7"},
		{"2025.06", "3.12.x"},
		{"2022.01", "3.12"}, // older than any builder modalc knows
		{"latest", "3.12"},
	} {
		if cmds, _, err := debianSlim(bad.version, bad.python); err == nil {
			t.Errorf("%s %s: accepted: %q", bad.version, bad.python, cmds)
		}
	}
}

func TestGPUConfig(t *testing.T) {
	for _, tc := range []struct {
		in    string
		typ   string
		count uint32
		ok    bool
	}{
		{"", "", 0, true},
		{"a100", "A100", 1, true},
		{"H100:8", "H100", 8, true},
		{"T4:0", "", 0, false},
		{"T4:x", "", 0, false},
		{":2", "", 0, false},
	} {
		g, err := gpuConfig(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("gpuConfig(%q) error = %v", tc.in, err)
			continue
		}
		if err == nil && (g.GetGpuType() != tc.typ || g.GetCount() != tc.count) {
			t.Errorf("gpuConfig(%q) = %s:%d", tc.in, g.GetGpuType(), g.GetCount())
		}
	}
}

func TestLogTail(t *testing.T) {
	var tail logTail
	var in []string
	for i := range 50 {
		in = append(in, strings.Repeat("x", i%3)+"line\r\n\n")
	}
	for _, s := range in {
		tail.add(taskLogs(s[:2], s[2:]))
	}
	tail.add(taskLogs("no newline"))
	var want []string
	for i := 31; i < 50; i++ {
		want = append(want, strings.Repeat("x", i%3)+"line")
	}
	want = append(want, "no newline")
	if diff := cmp.Diff(want, tail.lines()); diff != "" {
		t.Errorf("tail (-want +got):\n%s", diff)
	}
}

func taskLogs(data ...string) []*pb.TaskLogs {
	var logs []*pb.TaskLogs
	for _, d := range data {
		logs = append(logs, pb.TaskLogs_builder{Data: d}.Build())
	}
	return logs
}
