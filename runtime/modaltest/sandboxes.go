package modaltest

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	pb "github.com/modal-labs/modal-client/go/proto/modal_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// sandboxRec is a sandbox. Its fields are guarded by Server.mu, except the
// processes, which guard themselves.
type sandboxRec struct {
	id, taskID, appID, name string
	v2                      bool
	def                     *pb.Sandbox
	tags                    map[string]string
	env                     map[string]string
	createdAt, finishedAt   float64
	result                  *pb.GenericResult // nil while running
	done                    chan struct{}     // closed when result is set
	dir                     string            // stands for the sandbox's "/"
	tunnels                 []*pb.TunnelData
	entry                   *process // the entrypoint (a placeholder unless WithEntrypoints)
	execs                   map[string]*process
	execOrder               []*process
	timer                   *time.Timer
	stdinIndex              uint32 // last SandboxStdinWrite index seen (V1)
}

// hostPath maps a path in the sandbox to the host.
func (sb *sandboxRec) hostPath(remote string) string {
	return filepath.Join(sb.dir, filepath.FromSlash(path.Clean("/"+remote)))
}

// hostEnv is the environment of a process in the sandbox: the host's PATH,
// HOME (the sandbox's /root), MODALTEST_ROOT (the sandbox's directory), the
// sandbox's IDs, the sandbox's environment and then extra.
func (sb *sandboxRec) hostEnv(extra map[string]string) []string {
	pathEnv := os.Getenv("PATH")
	if pathEnv == "" {
		pathEnv = "/usr/local/bin:/usr/bin:/bin"
	}
	env := map[string]string{
		"PATH":             pathEnv,
		"HOME":             sb.hostPath("/root"),
		"MODALTEST_ROOT":   sb.dir,
		"MODAL_SANDBOX_ID": sb.id,
		"MODAL_TASK_ID":    sb.taskID,
	}
	for k, v := range sb.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	list := make([]string, 0, len(env))
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	return list
}

// workdir returns the host directory for a working directory in the sandbox
// (the definition's by default), creating it.
func (sb *sandboxRec) workdir(dir string) string {
	if dir == "" {
		dir = sb.def.GetWorkdir()
	}
	host := sb.hostPath(dir)
	os.MkdirAll(host, 0o755)
	return host
}

func terminatedResult() *pb.GenericResult {
	return pb.GenericResult_builder{Status: pb.GenericResult_GENERIC_STATUS_TERMINATED, Exception: "Sandbox terminated"}.Build()
}

// sandboxStatus names a sandbox's state: running, or the result's status in
// lower case (success, failure, terminated, timeout, …).
func sandboxStatus(result *pb.GenericResult) string {
	if result == nil {
		return "running"
	}
	return strings.ToLower(strings.TrimPrefix(result.GetStatus().String(), "GENERIC_STATUS_"))
}

// createSandbox makes a sandbox of either backend. The app and the image must
// exist (and the image must not have failed to build). V2 takes environment
// from secret_sources (in order) or else secret_ids, then ephemeral_secrets; V1
// from secret_ids. Names are unique per app among sandboxes still running.
func (s *Server) createSandbox(v2 bool, appID string, def *pb.Sandbox, tags []*pb.SandboxTag, sources []*pb.SecretSource, ephemeral *pb.StringMap) (*sandboxRec, error) {
	if def == nil {
		return nil, status.Error(codes.InvalidArgument, "sandbox definition is missing")
	}
	if v2 && def.GetResources().GetGpuConfig() != nil && gpuString(def.GetResources().GetGpuConfig()) != "" {
		return nil, status.Error(codes.InvalidArgument, "GPUs are not supported by V2 sandboxes")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
		return nil, status.Error(codes.Unavailable, "server closed")
	default:
	}
	if s.apps[appID] == nil {
		return nil, status.Errorf(codes.NotFound, "App '%s' not found", appID)
	}
	if id := def.GetImageId(); id == "" {
		return nil, status.Error(codes.InvalidArgument, "sandbox definition has no image_id")
	} else if img := s.images[id]; img == nil {
		return nil, status.Errorf(codes.NotFound, "Image '%s' not found", id)
	} else if img.status() == "failure" {
		return nil, status.Errorf(codes.FailedPrecondition, "Image '%s' failed to build", id)
	}
	name := def.GetName()
	if name != "" {
		for _, other := range s.sandboxOrder {
			if other.appID == appID && other.name == name && other.result == nil {
				return nil, status.Errorf(codes.AlreadyExists, "Sandbox with name '%s' already exists in the App (%s)", name, other.id)
			}
		}
	}

	env := map[string]string{}
	addSecret := func(id string) error {
		sec := s.secrets[id]
		if sec == nil {
			return status.Errorf(codes.NotFound, "Secret '%s' not found", id)
		}
		for k, v := range sec.env {
			env[k] = v
		}
		return nil
	}
	if len(sources) > 0 {
		for _, src := range sources {
			switch src.WhichSource() {
			case pb.SecretSource_SecretId_case:
				if err := addSecret(src.GetSecretId()); err != nil {
					return nil, err
				}
			case pb.SecretSource_Env_case:
				for k, v := range src.GetEnv().GetContents() {
					env[k] = v
				}
			}
		}
	} else {
		for _, id := range def.GetSecretIds() {
			if err := addSecret(id); err != nil {
				return nil, err
			}
		}
	}
	for k, v := range ephemeral.GetContents() {
		env[k] = v
	}
	for k, v := range def.GetEnvironmentVariables().GetContents() {
		env[k] = v
	}

	created := now()
	if created <= s.lastCreatedAt {
		// Distinct creation times keep list paging (before_timestamp, strictly
		// less) from skipping sandboxes created in the same instant.
		created = s.lastCreatedAt + 0.001
	}
	s.lastCreatedAt = created

	sb := &sandboxRec{
		taskID:    newID("ta-"),
		appID:     appID,
		name:      name,
		v2:        v2,
		def:       proto.CloneOf(def),
		tags:      map[string]string{},
		env:       env,
		createdAt: created,
		done:      make(chan struct{}),
		execs:     map[string]*process{},
	}
	if v2 {
		sb.id = newV2SandboxID()
	} else {
		sb.id = newID("sb-")
	}
	for _, t := range tags {
		sb.tags[t.GetTagName()] = t.GetTagValue()
	}
	sb.dir = filepath.Join(s.root, sb.id)
	if err := os.MkdirAll(sb.hostPath("/root"), 0o755); err != nil {
		return nil, status.Errorf(codes.Internal, "modaltest: %v", err)
	}
	for i, p := range def.GetOpenPorts().GetPorts() {
		t := pb.TunnelData_builder{
			Host:          fmt.Sprintf("%s-%d.modaltest.invalid", strings.ToLower(sb.id[len(sb.id)-8:]), p.GetPort()),
			Port:          443,
			ContainerPort: p.GetPort(),
		}
		if p.GetUnencrypted() {
			t.UnencryptedHost = proto.String(fmt.Sprintf("r%d.modaltest.invalid", i))
			t.UnencryptedPort = proto.Uint32(uint32(40000 + i))
		}
		sb.tunnels = append(sb.tunnels, t.Build())
	}

	if args := def.GetEntrypointArgs(); s.opts.entrypoints && len(args) > 0 {
		sb.entry = startProcess("entrypoint", execSpec{
			args: args,
			dir:  sb.workdir(""),
			env:  sb.hostEnv(nil),
			root: sb.dir,
		})
		go func() {
			<-sb.entry.done
			_, code, signal := sb.entry.exitStatus()
			result := pb.GenericResult_builder{Status: pb.GenericResult_GENERIC_STATUS_SUCCESS}
			if code != 0 || signal != 0 {
				result.Status = pb.GenericResult_GENERIC_STATUS_FAILURE
				result.Exitcode = code
				if signal != 0 {
					result.Exitcode = 128 + signal
				}
				result.Exception = fmt.Sprintf("entrypoint exited with code %d", result.Exitcode)
			}
			s.finishSandbox(sb, result.Build())
		}()
	} else {
		sb.entry = newProcess("entrypoint", args)
	}
	if secs := def.GetTimeoutSecs(); secs > 0 {
		sb.timer = time.AfterFunc(time.Duration(secs)*time.Second, func() {
			s.finishSandbox(sb, pb.GenericResult_builder{
				Status:    pb.GenericResult_GENERIC_STATUS_TIMEOUT,
				Exception: fmt.Sprintf("Sandbox timed out after %d seconds", secs),
			}.Build())
		})
	}

	s.sandboxes[sb.id] = sb
	s.sandboxOrder = append(s.sandboxOrder, sb)
	s.tasks[sb.taskID] = sb
	return sb, nil
}

// finishSandbox records a sandbox's result (only the first counts) and kills
// what runs in it.
func (s *Server) finishSandbox(sb *sandboxRec, result *pb.GenericResult) {
	s.mu.Lock()
	if sb.result != nil {
		s.mu.Unlock()
		return
	}
	sb.result, sb.finishedAt = result, now()
	if sb.timer != nil {
		sb.timer.Stop()
	}
	procs := slices.Clone(sb.execOrder)
	entry := sb.entry
	close(sb.done)
	s.mu.Unlock()
	for _, p := range procs {
		p.Kill()
	}
	entry.Kill()
	entry.stdin.Close()
}

// sandbox finds a sandbox by ID for an RPC of the given family.
func (s *Server) sandbox(id string, v2 bool) (*sandboxRec, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sb := s.sandboxes[id]
	switch {
	case sb == nil:
		return nil, status.Errorf(codes.NotFound, "Sandbox '%s' not found", id)
	case sb.v2 != v2:
		family := map[bool]string{false: "V1", true: "V2"}
		return nil, status.Errorf(codes.NotFound, "Sandbox '%s' not found: it is a %s sandbox, and this is a %s RPC", id, family[sb.v2], family[v2])
	}
	return sb, nil
}

// task finds a sandbox by task ID.
func (s *Server) task(taskID string) (*sandboxRec, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sb := s.tasks[taskID]
	if sb == nil {
		return nil, status.Errorf(codes.NotFound, "task '%s' not found", taskID)
	}
	return sb, nil
}

// SandboxCreate creates a V1 sandbox (the backend the SDK uses for GPUs).
func (c *controlPlane) SandboxCreate(_ context.Context, req *pb.SandboxCreateRequest) (*pb.SandboxCreateResponse, error) {
	sb, err := c.s.createSandbox(false, req.GetAppId(), req.GetDefinition(), req.GetTags(), nil, nil)
	if err != nil {
		return nil, err
	}
	return pb.SandboxCreateResponse_builder{
		SandboxId: sb.id,
		Metadata:  pb.SandboxHandleMetadata_builder{AppId: sb.appID}.Build(),
	}.Build(), nil
}

// SandboxCreateV2 creates a V2 sandbox and answers with its task, its
// command-router access and its tunnels.
func (c *controlPlane) SandboxCreateV2(_ context.Context, req *pb.SandboxCreateV2Request) (*pb.SandboxCreateV2Response, error) {
	s := c.s
	sb, err := s.createSandbox(true, req.GetAppId(), req.GetDefinition(), req.GetTags(), req.GetSecretSources(), req.GetEphemeralSecrets())
	if err != nil {
		return nil, err
	}
	return pb.SandboxCreateV2Response_builder{
		SandboxId: sb.id,
		TaskId:    sb.taskID,
		Tunnels:   sb.tunnels,
		Metadata:  pb.SandboxHandleMetadata_builder{AppId: sb.appID}.Build(),
		CommandRouterAccess: pb.CommandRouterAccess_builder{
			Jwt: s.routerJWT(sb),
			Url: s.routerURL(),
		}.Build(),
		SandboxToken: newJWT(map[string]any{"app_id": sb.appID}),
	}.Build(), nil
}

func (s *Server) routerJWT(sb *sandboxRec) string {
	return newJWT(map[string]any{"task_id": sb.taskID, "sandbox_id": sb.id})
}

func (c *controlPlane) getTaskID(req *pb.SandboxGetTaskIdRequest, v2 bool) (*pb.SandboxGetTaskIdResponse, error) {
	sb, err := c.s.sandbox(req.GetSandboxId(), v2)
	if err != nil {
		return nil, err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if sb.result != nil {
		return pb.SandboxGetTaskIdResponse_builder{TaskResult: sb.result}.Build(), nil
	}
	return pb.SandboxGetTaskIdResponse_builder{TaskId: proto.String(sb.taskID)}.Build(), nil
}

// SandboxGetTaskId returns a running V1 sandbox's task at once, or the result
// of a finished one.
func (c *controlPlane) SandboxGetTaskId(_ context.Context, req *pb.SandboxGetTaskIdRequest) (*pb.SandboxGetTaskIdResponse, error) {
	return c.getTaskID(req, false)
}

// SandboxGetTaskIdV2 is SandboxGetTaskId for V2 sandboxes.
func (c *controlPlane) SandboxGetTaskIdV2(_ context.Context, req *pb.SandboxGetTaskIdRequest) (*pb.SandboxGetTaskIdResponse, error) {
	return c.getTaskID(req, true)
}

func (c *controlPlane) wait(ctx context.Context, req *pb.SandboxWaitRequest, v2 bool) (*pb.SandboxWaitResponse, error) {
	s := c.s
	sb, err := s.sandbox(req.GetSandboxId(), v2)
	if err != nil {
		return nil, err
	}
	if timeout := time.Duration(float64(req.GetTimeout()) * float64(time.Second)); timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		if _, err := s.await(ctx, sb.done, t.C); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return pb.SandboxWaitResponse_builder{
		Result:   sb.result,
		Metadata: pb.SandboxHandleMetadata_builder{AppId: sb.appID, Result: sb.result}.Build(),
	}.Build(), nil
}

// SandboxWait blocks up to timeout seconds for a V1 sandbox to finish and
// returns its result (none while it runs).
func (c *controlPlane) SandboxWait(ctx context.Context, req *pb.SandboxWaitRequest) (*pb.SandboxWaitResponse, error) {
	return c.wait(ctx, req, false)
}

// SandboxWaitV2 is SandboxWait for V2 sandboxes.
func (c *controlPlane) SandboxWaitV2(ctx context.Context, req *pb.SandboxWaitRequest) (*pb.SandboxWaitResponse, error) {
	return c.wait(ctx, req, true)
}

func (c *controlPlane) terminate(req *pb.SandboxTerminateRequest, v2 bool) (*pb.SandboxTerminateResponse, error) {
	s := c.s
	sb, err := s.sandbox(req.GetSandboxId(), v2)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	existing := sb.result
	s.mu.Unlock()
	if existing != nil {
		return pb.SandboxTerminateResponse_builder{ExistingResult: existing}.Build(), nil
	}
	s.finishSandbox(sb, terminatedResult())
	return &pb.SandboxTerminateResponse{}, nil
}

// SandboxTerminate ends a V1 sandbox (status TERMINATED) and kills its
// processes. For a finished sandbox it returns the existing result.
func (c *controlPlane) SandboxTerminate(_ context.Context, req *pb.SandboxTerminateRequest) (*pb.SandboxTerminateResponse, error) {
	return c.terminate(req, false)
}

// SandboxTerminateV2 is SandboxTerminate for V2 sandboxes.
func (c *controlPlane) SandboxTerminateV2(_ context.Context, req *pb.SandboxTerminateRequest) (*pb.SandboxTerminateResponse, error) {
	return c.terminate(req, true)
}

// list returns one page of sandboxes, newest first: those of the request's app
// (if set) carrying all its tags, created strictly before before_timestamp (if
// set), finished ones only with include_finished. A page past the last
// sandbox is empty, which is how the SDK's iterator stops.
func (c *controlPlane) list(req *pb.SandboxListRequest, onlyV1 bool) *pb.SandboxListResponse {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var page []*pb.SandboxInfo
	for i := len(s.sandboxOrder) - 1; i >= 0 && len(page) < s.opts.listPageSize; i-- {
		sb := s.sandboxOrder[i]
		if onlyV1 && sb.v2 ||
			req.GetAppId() != "" && sb.appID != req.GetAppId() ||
			!req.GetIncludeFinished() && sb.result != nil ||
			req.GetBeforeTimestamp() != 0 && sb.createdAt >= req.GetBeforeTimestamp() ||
			!hasTags(sb.tags, req.GetTags()) {
			continue
		}
		if req.GetAppId() == "" && req.GetEnvironmentName() != "" && s.apps[sb.appID].environment != normEnv(req.GetEnvironmentName()) {
			continue
		}
		page = append(page, s.infoLocked(sb))
	}
	return pb.SandboxListResponse_builder{Sandboxes: page}.Build()
}

func hasTags(have map[string]string, want []*pb.SandboxTag) bool {
	for _, t := range want {
		if v, ok := have[t.GetTagName()]; !ok || v != t.GetTagValue() {
			return false
		}
	}
	return true
}

func (s *Server) infoLocked(sb *sandboxRec) *pb.SandboxInfo {
	return pb.SandboxInfo_builder{
		Id:        sb.id,
		CreatedAt: sb.createdAt,
		TaskInfo: pb.TaskInfo_builder{
			Id:         sb.taskID,
			StartedAt:  sb.createdAt,
			FinishedAt: sb.finishedAt,
			Result:     sb.result,
			EnqueuedAt: sb.createdAt,
			SandboxId:  sb.id,
			GpuType:    gpuString(sb.def.GetResources().GetGpuConfig()),
		}.Build(),
		AppId:           sb.appID,
		Tags:            tagList(sb.tags),
		Name:            sb.name,
		ImageId:         sb.def.GetImageId(),
		TimeoutSecs:     sb.def.GetTimeoutSecs(),
		IdleTimeoutSecs: proto.ValueOrNil(sb.def.HasIdleTimeoutSecs(), sb.def.GetIdleTimeoutSecs),
		Regions:         sb.def.GetSchedulerPlacement().GetRegions(),
		Tunnels:         sb.tunnels,
		Metadata:        pb.SandboxHandleMetadata_builder{AppId: sb.appID, Result: sb.result}.Build(),
	}.Build()
}

func tagList(tags map[string]string) []*pb.SandboxTag {
	names := make([]string, 0, len(tags))
	for k := range tags {
		names = append(names, k)
	}
	sort.Strings(names)
	list := make([]*pb.SandboxTag, 0, len(names))
	for _, k := range names {
		list = append(list, pb.SandboxTag_builder{TagName: k, TagValue: tags[k]}.Build())
	}
	return list
}

// SandboxList lists V1 sandboxes, a page at a time.
func (c *controlPlane) SandboxList(_ context.Context, req *pb.SandboxListRequest) (*pb.SandboxListResponse, error) {
	return c.list(req, true), nil
}

// SandboxListV2 lists sandboxes of both backends, a page at a time.
func (c *controlPlane) SandboxListV2(_ context.Context, req *pb.SandboxListRequest) (*pb.SandboxListResponse, error) {
	return c.list(req, false), nil
}

func (c *controlPlane) tagsGet(req *pb.SandboxTagsGetRequest, v2 bool) (*pb.SandboxTagsGetResponse, error) {
	sb, err := c.s.sandbox(req.GetSandboxId(), v2)
	if err != nil {
		return nil, err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return pb.SandboxTagsGetResponse_builder{Tags: tagList(sb.tags)}.Build(), nil
}

func (c *controlPlane) tagsSet(req *pb.SandboxTagsSetRequest, v2 bool) (*emptypb.Empty, error) {
	sb, err := c.s.sandbox(req.GetSandboxId(), v2)
	if err != nil {
		return nil, err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	sb.tags = map[string]string{}
	for _, t := range req.GetTags() {
		sb.tags[t.GetTagName()] = t.GetTagValue()
	}
	return &emptypb.Empty{}, nil
}

// SandboxTagsGet returns a V1 sandbox's tags.
func (c *controlPlane) SandboxTagsGet(_ context.Context, req *pb.SandboxTagsGetRequest) (*pb.SandboxTagsGetResponse, error) {
	return c.tagsGet(req, false)
}

// SandboxTagsGetV2 returns a V2 sandbox's tags.
func (c *controlPlane) SandboxTagsGetV2(_ context.Context, req *pb.SandboxTagsGetRequest) (*pb.SandboxTagsGetResponse, error) {
	return c.tagsGet(req, true)
}

// SandboxTagsSet replaces a V1 sandbox's tags.
func (c *controlPlane) SandboxTagsSet(_ context.Context, req *pb.SandboxTagsSetRequest) (*emptypb.Empty, error) {
	return c.tagsSet(req, false)
}

// SandboxTagsSetV2 replaces a V2 sandbox's tags.
func (c *controlPlane) SandboxTagsSetV2(_ context.Context, req *pb.SandboxTagsSetRequest) (*emptypb.Empty, error) {
	return c.tagsSet(req, true)
}

func (c *controlPlane) tunnels(req *pb.SandboxGetTunnelsRequest, v2 bool) (*pb.SandboxGetTunnelsResponse, error) {
	sb, err := c.s.sandbox(req.GetSandboxId(), v2)
	if err != nil {
		return nil, err
	}
	return pb.SandboxGetTunnelsResponse_builder{Tunnels: sb.tunnels}.Build(), nil
}

// SandboxGetTunnels returns a V1 sandbox's tunnels (one per open port, under
// .modaltest.invalid).
func (c *controlPlane) SandboxGetTunnels(_ context.Context, req *pb.SandboxGetTunnelsRequest) (*pb.SandboxGetTunnelsResponse, error) {
	return c.tunnels(req, false)
}

// SandboxGetTunnelsV2 returns a V2 sandbox's tunnels.
func (c *controlPlane) SandboxGetTunnelsV2(_ context.Context, req *pb.SandboxGetTunnelsRequest) (*pb.SandboxGetTunnelsResponse, error) {
	return c.tunnels(req, true)
}

func (c *controlPlane) fromName(req *pb.SandboxGetFromNameRequest, onlyV1 bool) (*pb.SandboxGetFromNameResponse, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	env := normEnv(req.GetEnvironmentName())
	app := s.appByNameLocked(env, req.GetAppName())
	if app == nil {
		return nil, status.Errorf(codes.NotFound, "App '%s' not found in environment '%s'", req.GetAppName(), env)
	}
	for i := len(s.sandboxOrder) - 1; i >= 0; i-- {
		sb := s.sandboxOrder[i]
		if sb.appID == app.id && sb.name == req.GetSandboxName() && !(onlyV1 && sb.v2) &&
			(sb.result == nil || req.GetIncludeTerminated()) {
			return pb.SandboxGetFromNameResponse_builder{
				SandboxId: sb.id,
				Metadata:  pb.SandboxHandleMetadata_builder{AppId: sb.appID, Result: sb.result}.Build(),
			}.Build(), nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "Sandbox with name '%s' not found in App '%s'", req.GetSandboxName(), req.GetAppName())
}

// SandboxGetFromName finds a running V1 sandbox by app and name.
func (c *controlPlane) SandboxGetFromName(_ context.Context, req *pb.SandboxGetFromNameRequest) (*pb.SandboxGetFromNameResponse, error) {
	return c.fromName(req, true)
}

// SandboxGetFromNameV2 finds a sandbox of either backend by app and name: the
// running one, or with include_terminated the newest.
func (c *controlPlane) SandboxGetFromNameV2(_ context.Context, req *pb.SandboxGetFromNameRequest) (*pb.SandboxGetFromNameResponse, error) {
	return c.fromName(req, false)
}

// SandboxGetCommandRouterAccess returns a JWT and the router URL for a
// sandbox, named by sandbox or task ID.
func (c *controlPlane) SandboxGetCommandRouterAccess(_ context.Context, req *pb.SandboxGetCommandRouterAccessRequest) (*pb.SandboxGetCommandRouterAccessResponse, error) {
	s := c.s
	var sb *sandboxRec
	var err error
	if req.HasTaskId() {
		sb, err = s.task(req.GetTaskId())
	} else {
		s.mu.Lock()
		sb = s.sandboxes[req.GetSandboxId()]
		s.mu.Unlock()
		if sb == nil {
			err = status.Errorf(codes.NotFound, "Sandbox '%s' not found", req.GetSandboxId())
		}
	}
	if err != nil {
		return nil, err
	}
	return pb.SandboxGetCommandRouterAccessResponse_builder{Jwt: s.routerJWT(sb), Url: s.routerURL()}.Build(), nil
}

// TaskGetCommandRouterAccess returns a JWT and the router URL for a task (the
// SDK's path for V1 sandboxes).
func (c *controlPlane) TaskGetCommandRouterAccess(_ context.Context, req *pb.TaskGetCommandRouterAccessRequest) (*pb.TaskGetCommandRouterAccessResponse, error) {
	sb, err := c.s.task(req.GetTaskId())
	if err != nil {
		return nil, err
	}
	return pb.TaskGetCommandRouterAccessResponse_builder{Jwt: c.s.routerJWT(sb), Url: c.s.routerURL()}.Build(), nil
}

// SandboxGetLogs streams a V1 sandbox's entrypoint output (empty unless
// WithEntrypoints) from last_entry_id, which is a byte offset; the last batch
// has eof set once the sandbox has finished.
func (c *controlPlane) SandboxGetLogs(req *pb.SandboxGetLogsRequest, stream grpc.ServerStreamingServer[pb.TaskLogsBatch]) error {
	s := c.s
	s.mu.Lock()
	sb := s.sandboxes[req.GetSandboxId()]
	s.mu.Unlock()
	if sb == nil {
		return status.Errorf(codes.NotFound, "Sandbox '%s' not found", req.GetSandboxId())
	}
	out := sb.entry.stdout
	if req.GetFileDescriptor() == pb.FileDescriptor_FILE_DESCRIPTOR_STDERR {
		out = sb.entry.stderr
	}
	off, _ := strconv.ParseUint(req.GetLastEntryId(), 10, 64) // "0-0" reads as 0
	timeout := time.Duration(req.GetTimeout() * float32(time.Second))
	if timeout <= 0 {
		timeout = 55 * time.Second
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		data, closed, changed := out.since(off, 1<<20)
		if len(data) > 0 {
			off += uint64(len(data))
			err := stream.Send(pb.TaskLogsBatch_builder{
				SandboxId: sb.id,
				TaskId:    sb.taskID,
				EntryId:   strconv.FormatUint(off, 10),
				Items: []*pb.TaskLogs{pb.TaskLogs_builder{
					Data:           string(data),
					FileDescriptor: req.GetFileDescriptor(),
					Timestamp:      now(),
				}.Build()},
			}.Build())
			if err != nil {
				return err
			}
			continue
		}
		if closed {
			return stream.Send(pb.TaskLogsBatch_builder{SandboxId: sb.id, EntryId: strconv.FormatUint(off, 10), Eof: true}.Build())
		}
		if timedOut, err := s.await(stream.Context(), changed, deadline.C); err != nil || timedOut {
			return err
		}
	}
}

// SandboxStdinWrite writes to a V1 sandbox's entrypoint stdin; a repeated
// index is ignored.
func (c *controlPlane) SandboxStdinWrite(_ context.Context, req *pb.SandboxStdinWriteRequest) (*pb.SandboxStdinWriteResponse, error) {
	s := c.s
	sb, err := s.sandbox(req.GetSandboxId(), false)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	dup := req.GetIndex() != 0 && req.GetIndex() <= sb.stdinIndex
	if !dup {
		sb.stdinIndex = req.GetIndex()
	}
	s.mu.Unlock()
	if !dup {
		sb.entry.stdin.Write(req.GetInput())
	}
	if req.GetEof() {
		sb.entry.stdin.Close()
	}
	return &pb.SandboxStdinWriteResponse{}, nil
}
