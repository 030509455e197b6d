package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"github.com/modalc/modalc/internal/golden"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	modal "github.com/modal-labs/modal-client/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Every test package imports internal/golden, so go test ./... -update works.
var _ = golden.Update

// TestMain lets the test binary stand in for the command: with
// MODALTEST_CMD_MAIN=1 it runs main instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("MODALTEST_CMD_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestCommand(t *testing.T) {
	cmd := exec.Command(os.Args[0],
		"--addr", "127.0.0.1:0",
		"--latency", "1ms",
		"--fail", "AppGetOrCreate:2:permanent",
		"--secret", "db:PASSWORD=hunter2,USER=app",
	)
	cmd.Env = append(os.Environ(), "MODALTEST_CMD_MAIN=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	readLine := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the command ended before printing its URLs")
			}
			return l
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for the command's output")
		}
		return ""
	}
	serverURL, ok := strings.CutPrefix(readLine(), "MODAL_SERVER_URL=")
	if !ok || !strings.HasPrefix(serverURL, "http://127.0.0.1:") {
		t.Fatalf("first line does not set MODAL_SERVER_URL to a loopback URL: %q", serverURL)
	}
	stateURL := readLine()
	if u, err := url.Parse(stateURL); err != nil || u.Path != "/state" || u.Hostname() != "127.0.0.1" {
		t.Fatalf("second line is not a /state URL: %q", stateURL)
	}

	for k, v := range map[string]string{
		"MODAL_SERVER_URL":            serverURL,
		"MODAL_TOKEN_ID":              "ak-test",
		"MODAL_TOKEN_SECRET":          "as-test",
		"MODAL_CONFIG_PATH":           filepath.Join(t.TempDir(), "absent.toml"),
		"MODAL_PROFILE":               "",
		"MODAL_ENVIRONMENT":           "",
		"MODAL_SANDBOX_V2":            "",
		"MODAL_IMAGE_BUILDER_VERSION": "",
		"MODAL_OAUTH_REFRESH_TOKEN":   "",
		"MODAL_OAUTH_CLIENT_ID":       "",
		"MODAL_OAUTH_CLIENT_SECRET":   "",
		"MODAL_OAUTH_JWT_KEY":         "",
	} {
		t.Setenv(k, v)
	}
	client, err := modal.NewClientWithOptions(&modal.ClientParams{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	app, err := client.Apps.FromName(ctx, "cmd-test", &modal.AppFromNameParams{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	// The second AppGetOrCreate fails, as --fail asked.
	if _, err := client.Apps.FromName(ctx, "cmd-test", nil); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("second FromName: got %v, want FAILED_PRECONDITION", err)
	}
	secret, err := client.Secrets.FromName(ctx, "db", &modal.SecretFromNameParams{RequiredKeys: []string{"PASSWORD"}})
	if err != nil {
		t.Fatal(err)
	}
	img := client.Images.FromRegistry("alpine:3.20", nil)
	sb, err := client.Sandboxes.Create(ctx, app, img, &modal.SandboxCreateParams{Secrets: []*modal.Secret{secret}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := sb.Exec(ctx, []string{"sh", "-c", "echo $USER"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := io.ReadAll(p.Stdout); string(out) != "app\n" {
		t.Errorf("exec stdout = %q", out)
	}

	// POST /fail installs a fault at run time.
	resp, err := http.PostForm(strings.TrimSuffix(stateURL, "/state")+"/fail", url.Values{"spec": {"SandboxTerminateV2:1:permanent=PERMISSION_DENIED"}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /fail: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := sb.Terminate(ctx, nil); status.Code(err) != codes.PermissionDenied {
		t.Errorf("terminate: got %v, want PERMISSION_DENIED", err)
	}

	var state struct {
		Running   int            `json:"running"`
		Calls     map[string]int `json:"calls"`
		Sandboxes []struct {
			ID      string   `json:"id"`
			Status  string   `json:"status"`
			EnvKeys []string `json:"env_keys"`
		} `json:"sandboxes"`
		Images        []struct{ DockerfileCommands []string } `json:"images"`
		BytesUploaded *int64                                  `json:"bytes_uploaded"`
	}
	resp, err = http.Get(stateURL)
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&state)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if state.Running != 1 || len(state.Sandboxes) != 1 || state.Sandboxes[0].ID != sb.SandboxID ||
		state.Sandboxes[0].Status != "running" || strings.Join(state.Sandboxes[0].EnvKeys, ",") != "PASSWORD,USER" {
		t.Errorf("state sandboxes = %+v (running %d)", state.Sandboxes, state.Running)
	}
	if state.Calls["AppGetOrCreate"] != 2 || state.Calls["SandboxCreateV2"] != 1 || state.Calls["SandboxTerminateV2"] != 1 {
		t.Errorf("state calls = %v", state.Calls)
	}
	if len(state.Images) != 1 || state.BytesUploaded == nil {
		t.Errorf("state images = %+v, bytes uploaded %v", state.Images, state.BytesUploaded)
	}

	// SIGINT stops it cleanly.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Errorf("exit after SIGINT: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the command did not stop on SIGINT")
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--fail", "nope"}, {"--secret", ":x"}, {"extra"}} {
		var stderr strings.Builder
		if code := run(t.Context(), args, io.Discard, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
}
