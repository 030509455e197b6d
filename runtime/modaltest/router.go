package modaltest

import (
	"context"
	"errors"
	"io"
	"time"

	pb "github.com/modal-labs/modal-client/go/proto/modal_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// stdioChunk bounds the data in one stdio message.
const stdioChunk = 1 << 20

// router implements modal.task_command_router.TaskCommandRouter. It does not
// check the bearer JWT. Methods not defined here answer UNIMPLEMENTED.
type router struct {
	pb.UnimplementedTaskCommandRouterServer
	s *Server
}

// exec finds an exec'd process by task and exec ID.
func (s *Server) exec(taskID, execID string) (*process, error) {
	sb, err := s.task(taskID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := sb.execs[execID]
	if p == nil {
		return nil, status.Errorf(codes.NotFound, "exec '%s' not found in task '%s'", execID, taskID)
	}
	return p, nil
}

// TaskExecStart runs a command in the sandbox's directory as a local process
// (Modal's fs-tools helper is emulated instead). Starting an exec ID that
// exists does nothing. A finished sandbox is NOT_FOUND.
func (r *router) TaskExecStart(_ context.Context, req *pb.TaskExecStartRequest) (*pb.TaskExecStartResponse, error) {
	s := r.s
	sb, err := s.task(req.GetTaskId())
	if err != nil {
		return nil, err
	}
	if req.GetExecId() == "" {
		return nil, status.Error(codes.InvalidArgument, "exec_id is empty")
	}
	if len(req.GetCommandArgs()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "command_args is empty")
	}
	if req.GetContainerId() != "" {
		return nil, status.Error(codes.Unimplemented, "modaltest: sidecar containers are not supported")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sb.execs[req.GetExecId()] != nil {
		return &pb.TaskExecStartResponse{}, nil
	}
	if sb.result != nil {
		return nil, status.Errorf(codes.NotFound, "task '%s' has finished", sb.taskID)
	}
	env := map[string]string{}
	for k, v := range req.GetEnv() {
		env[k] = v
	}
	for _, id := range req.GetSecretIds() {
		sec := s.secrets[id]
		if sec == nil {
			return nil, status.Errorf(codes.NotFound, "Secret '%s' not found", id)
		}
		for k, v := range sec.env {
			env[k] = v
		}
	}
	for _, src := range req.GetSecretSources() {
		switch src.WhichSource() {
		case pb.SecretSource_SecretId_case:
			sec := s.secrets[src.GetSecretId()]
			if sec == nil {
				return nil, status.Errorf(codes.NotFound, "Secret '%s' not found", src.GetSecretId())
			}
			for k, v := range sec.env {
				env[k] = v
			}
		case pb.SecretSource_Env_case:
			for k, v := range src.GetEnv().GetContents() {
				env[k] = v
			}
		}
	}
	pty := req.GetPtyInfo().GetEnabled()
	p := startProcess(req.GetExecId(), execSpec{
		args:          req.GetCommandArgs(),
		dir:           sb.workdir(req.GetWorkdir()),
		env:           sb.hostEnv(env),
		mergeStderr:   pty || req.GetStderrConfig() == pb.TaskExecStderrConfig_TASK_EXEC_STDERR_CONFIG_STDOUT,
		discardStdout: req.GetStdoutConfig() == pb.TaskExecStdoutConfig_TASK_EXEC_STDOUT_CONFIG_DEVNULL,
		discardStderr: req.GetStderrConfig() == pb.TaskExecStderrConfig_TASK_EXEC_STDERR_CONFIG_DEVNULL,
		timeout:       time.Duration(req.GetTimeoutSecs()) * time.Second,
		root:          sb.dir,
	})
	sb.execs[p.id] = p
	sb.execOrder = append(sb.execOrder, p)
	return &pb.TaskExecStartResponse{}, nil
}

// streamPipe sends what a pipe holds from off, then what is written to it,
// until it is closed (the stream then ends with no error, which the SDK reads
// as EOF). Messages are never empty.
func (s *Server) streamPipe(ctx context.Context, p *pipe, off uint64, send func(data []byte, off uint64) error) error {
	for {
		data, closed, changed := p.since(off, stdioChunk)
		if len(data) > 0 {
			if err := send(data, off); err != nil {
				return err
			}
			off += uint64(len(data))
			continue
		}
		if closed {
			return nil
		}
		if _, err := s.await(ctx, changed, nil); err != nil {
			return err
		}
	}
}

// TaskExecStdioRead streams an exec's stdout or stderr from offset, blocking
// for more until the process has exited and its output is drained.
func (r *router) TaskExecStdioRead(req *pb.TaskExecStdioReadRequest, stream grpc.ServerStreamingServer[pb.TaskExecStdioReadResponse]) error {
	p, err := r.s.exec(req.GetTaskId(), req.GetExecId())
	if err != nil {
		return err
	}
	out := p.stdout
	if req.GetFileDescriptor() == pb.TaskExecStdioFileDescriptor_TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDERR {
		out = p.stderr
	}
	return r.s.streamPipe(stream.Context(), out, req.GetOffset(), func(data []byte, _ uint64) error {
		return stream.Send(pb.TaskExecStdioReadResponse_builder{Data: data}.Build())
	})
}

// writeStdin writes to a process's stdin at an offset and closes it on eof.
// Writing after eof is FAILED_PRECONDITION (which the SDK takes for "the
// process has exited"); data for a process that has exited is kept but never
// read.
func writeStdin(p *process, off uint64, data []byte, eof bool) error {
	if len(data) > 0 {
		if err := p.stdin.writeAt(off, data); err != nil {
			if errors.Is(err, errPipeClosed) {
				return status.Error(codes.FailedPrecondition, "stdin is closed")
			}
			return status.Error(codes.InvalidArgument, err.Error())
		}
	}
	if eof {
		p.stdin.Close()
	}
	return nil
}

// TaskExecStdinWrite writes to an exec's stdin at an offset (a resent chunk is
// skipped) and closes it on eof.
func (r *router) TaskExecStdinWrite(_ context.Context, req *pb.TaskExecStdinWriteRequest) (*pb.TaskExecStdinWriteResponse, error) {
	p, err := r.s.exec(req.GetTaskId(), req.GetExecId())
	if err != nil {
		return nil, err
	}
	if err := writeStdin(p, req.GetOffset(), req.GetData(), req.GetEof()); err != nil {
		return nil, err
	}
	return &pb.TaskExecStdinWriteResponse{}, nil
}

// TaskExecStdinWriteStream takes an exec's stdin as a client stream: start
// (task, exec, offset), then data, then end, which closes stdin. A stream that
// breaks before end leaves stdin open, to be resumed at the offset
// TaskExecStdinStatus reports.
func (r *router) TaskExecStdinWriteStream(stream grpc.ClientStreamingServer[pb.TaskExecStdinWriteStreamRequest, pb.TaskExecStdinWriteStreamResponse]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	if first.WhichPayload() != pb.TaskExecStdinWriteStreamRequest_Start_case {
		return status.Error(codes.InvalidArgument, "the first message must be start")
	}
	start := first.GetStart()
	p, err := r.s.exec(start.GetTaskId(), start.GetExecId())
	if err != nil {
		return err
	}
	off := start.GetOffset()
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&pb.TaskExecStdinWriteStreamResponse{})
		}
		if err != nil {
			return err
		}
		switch msg.WhichPayload() {
		case pb.TaskExecStdinWriteStreamRequest_Data_case:
			if err := writeStdin(p, off, msg.GetData(), false); err != nil {
				return err
			}
			off += uint64(len(msg.GetData()))
		case pb.TaskExecStdinWriteStreamRequest_End_case:
			p.stdin.Close()
		default:
			return status.Error(codes.InvalidArgument, "start may only be the first message")
		}
	}
}

// TaskExecStdinStatus reports how many stdin bytes an exec has taken and
// whether its stdin is closed.
func (r *router) TaskExecStdinStatus(_ context.Context, req *pb.TaskExecStdinStatusRequest) (*pb.TaskExecStdinStatusResponse, error) {
	p, err := r.s.exec(req.GetTaskId(), req.GetExecId())
	if err != nil {
		return nil, err
	}
	n, closed := p.stdin.status()
	return pb.TaskExecStdinStatusResponse_builder{NumBytesWritten: n, Closed: closed}.Build(), nil
}

func exitResponse(p *process) *pb.TaskExecWaitResponse {
	_, code, signal := p.exitStatus()
	if signal != 0 {
		return pb.TaskExecWaitResponse_builder{Signal: &signal}.Build()
	}
	return pb.TaskExecWaitResponse_builder{Code: &code}.Build()
}

// TaskExecWait blocks until an exec exits and returns its exit code, or the
// signal that killed it.
func (r *router) TaskExecWait(ctx context.Context, req *pb.TaskExecWaitRequest) (*pb.TaskExecWaitResponse, error) {
	p, err := r.s.exec(req.GetTaskId(), req.GetExecId())
	if err != nil {
		return nil, err
	}
	select {
	case <-p.done:
		return exitResponse(p), nil
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	case <-r.s.closed:
		return nil, status.Error(codes.Unavailable, "server closed")
	}
}

// TaskExecPoll returns an exec's exit status if it has exited, and an empty
// response otherwise.
func (r *router) TaskExecPoll(_ context.Context, req *pb.TaskExecPollRequest) (*pb.TaskExecPollResponse, error) {
	p, err := r.s.exec(req.GetTaskId(), req.GetExecId())
	if err != nil {
		return nil, err
	}
	finished, code, signal := p.exitStatus()
	switch {
	case !finished:
		return &pb.TaskExecPollResponse{}, nil
	case signal != 0:
		return pb.TaskExecPollResponse_builder{Signal: &signal}.Build(), nil
	default:
		return pb.TaskExecPollResponse_builder{Code: &code}.Build(), nil
	}
}

// SandboxWaitUntilReady answers at once with the sandbox's creation time:
// readiness probes are not run.
func (r *router) SandboxWaitUntilReady(_ context.Context, req *pb.SandboxWaitUntilReadyTcrRequest) (*pb.SandboxWaitUntilReadyTcrResponse, error) {
	sb, err := r.s.task(req.GetTaskId())
	if err != nil {
		return nil, err
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if sb.result != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "Sandbox '%s' has finished", sb.id)
	}
	return pb.SandboxWaitUntilReadyTcrResponse_builder{ReadyAt: sb.createdAt}.Build(), nil
}

// SandboxStdioReadV2 streams a V2 sandbox's entrypoint output (empty unless
// WithEntrypoints) from offset, until the sandbox finishes.
func (r *router) SandboxStdioReadV2(req *pb.SandboxStdioReadV2Request, stream grpc.ServerStreamingServer[pb.SandboxStdioReadV2Response]) error {
	sb, err := r.s.task(req.GetTaskId())
	if err != nil {
		return err
	}
	out := sb.entry.stdout
	if req.GetFileDescriptor() == pb.SandboxStdioFileDescriptor_SANDBOX_STDIO_FILE_DESCRIPTOR_STDERR {
		out = sb.entry.stderr
	}
	return r.s.streamPipe(stream.Context(), out, req.GetOffset(), func(data []byte, off uint64) error {
		return stream.Send(pb.SandboxStdioReadV2Response_builder{Data: data, StartingOffset: off}.Build())
	})
}

// SandboxStdinWriteV2 writes to a V2 sandbox's entrypoint stdin at an offset.
func (r *router) SandboxStdinWriteV2(_ context.Context, req *pb.SandboxStdinWriteV2Request) (*pb.SandboxStdinWriteV2Response, error) {
	sb, err := r.s.task(req.GetTaskId())
	if err != nil {
		return nil, err
	}
	if err := writeStdin(sb.entry, req.GetOffset(), req.GetData(), req.GetEof()); err != nil {
		return nil, err
	}
	return &pb.SandboxStdinWriteV2Response{}, nil
}
