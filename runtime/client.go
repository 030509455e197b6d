package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"

	modal "github.com/modal-labs/modal-client/go"
	pb "github.com/modal-labs/modal-client/go/proto/modal_proto"
	"google.golang.org/grpc"
)

// ErrNoCredentials is returned when no Modal token is configured.
var ErrNoCredentials = errors.New("no Modal credentials: set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET, or run `modal token new` to write ~/.modal.toml")

// A Client is modalc's handle on Modal: the SDK (pinned at v0.11.1, which
// breaks between minor releases, so nothing outside runtime and emit sees
// it), and the SDK's generated proto client over the SDK's own connection
// for the calls the SDK lacks — so raw calls get its auth, headers and
// retries.
type Client struct {
	SDK *modal.Client

	mu       sync.Mutex
	conn     *grpc.ClientConn // captured from the first unary call
	buildLog io.Writer
}

// Options configure Connect.
type Options struct {
	// Logger receives the SDK's own log lines (nil: discarded; the SDK
	// warns about loopback servers and throttling on stderr otherwise).
	Logger *slog.Logger
	// BuildLog receives image build log lines as they arrive (nil:
	// discarded). The SDK drops them; a stream interceptor tees them.
	BuildLog io.Writer
}

// Connect makes a client from the SDK's usual credential sources
// (MODAL_TOKEN_ID/MODAL_TOKEN_SECRET, ~/.modal.toml, MODAL_SERVER_URL …).
// It makes no call: a missing token surfaces on the first one as
// ErrNoCredentials.
func Connect(opts Options) (*Client, error) {
	c := &Client{buildLog: opts.BuildLog}
	if c.buildLog == nil {
		c.buildLog = io.Discard
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	sdk, err := modal.NewClientWithOptions(&modal.ClientParams{
		Logger:                 logger,
		GRPCUnaryInterceptors:  []grpc.UnaryClientInterceptor{c.captureConn},
		GRPCStreamInterceptors: []grpc.StreamClientInterceptor{c.teeBuildLogs},
	})
	if err != nil {
		return nil, Wrap(err)
	}
	c.SDK = sdk
	return c, nil
}

// Close releases the client's connections.
func (c *Client) Close() {
	if c.SDK != nil {
		c.SDK.Close()
	}
}

// captureConn records the SDK's connection; it runs after the SDK's own
// interceptors (auth, headers, retries).
func (c *Client) captureConn(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	c.mu.Lock()
	if c.conn == nil {
		c.conn = cc
	}
	c.mu.Unlock()
	return invoker(ctx, method, req, reply, cc, opts...)
}

// Raw returns the generated proto client over the SDK's connection. It is
// known after the first SDK unary call (apply's app lookup).
func (c *Client) Raw() (pb.ModalClientClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil, errors.New("runtime: no SDK call made yet: the connection is not known")
	}
	return pb.NewModalClientClient(c.conn), nil
}

// teeBuildLogs copies the log lines of ImageJoinStreaming to BuildLog as
// they arrive.
func (c *Client) teeBuildLogs(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil || !strings.HasSuffix(method, "/ImageJoinStreaming") {
		return s, err
	}
	return &logTee{ClientStream: s, w: c.buildLog}, nil
}

type logTee struct {
	grpc.ClientStream
	w io.Writer
}

func (t *logTee) RecvMsg(m any) error {
	err := t.ClientStream.RecvMsg(m)
	if r, ok := m.(*pb.ImageJoinStreamingResponse); ok && err == nil {
		WriteTaskLogs(t.w, r.GetTaskLogs())
	}
	return err
}

// WriteTaskLogs writes build log lines as they arrived.
func WriteTaskLogs(w io.Writer, logs []*pb.TaskLogs) {
	for _, l := range logs {
		if d := l.GetData(); d != "" {
			io.WriteString(w, d)
		}
	}
}

// Wrap turns SDK errors modalc explains itself into its own: a missing
// token becomes ErrNoCredentials.
func Wrap(err error) error {
	if err != nil && strings.Contains(err.Error(), "missing credentials") {
		return ErrNoCredentials
	}
	return err
}
