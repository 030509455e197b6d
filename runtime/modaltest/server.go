package modaltest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/modal-labs/modal-client/go/proto/modal_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// maxMessageSize matches the SDK's own limit on gRPC messages (100 MiB).
const maxMessageSize = 100 << 20

// DefaultImageBuilderVersion is the image builder version EnvironmentGetOrCreate
// reports unless WithImageBuilderVersion says otherwise.
const DefaultImageBuilderVersion = "2024.10"

// DefaultListPageSize is how many sandboxes one SandboxList[V2] page holds
// unless WithListPageSize says otherwise.
const DefaultListPageSize = 100

// defaultEnvironment is the name an empty environment name stands for.
const defaultEnvironment = "main"

// Option configures a Server.
type Option func(*options)

type options struct {
	addr                string
	dir                 string
	imageBuilderVersion string
	listPageSize        int
	buildStepDelay      time.Duration
	entrypoints         bool
	latency             time.Duration
	blobPartLength      int64
}

// WithAddr sets the address the gRPC server listens on (default
// "127.0.0.1:0"). The SDK dials the command router in plaintext only when the
// host is a loopback address.
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithDir sets the directory under which each sandbox gets its own directory.
// By default the server makes a temporary directory and removes it on Close;
// a directory given here is left in place.
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithImageBuilderVersion sets the image builder version the environment
// reports (default DefaultImageBuilderVersion).
func WithImageBuilderVersion(v string) Option {
	return func(o *options) { o.imageBuilderVersion = v }
}

// WithListPageSize sets how many sandboxes one list page holds (default
// DefaultListPageSize). Tests of paging set it low.
func WithListPageSize(n int) Option { return func(o *options) { o.listPageSize = n } }

// WithBuildStepDelay makes each Dockerfile instruction of an image build take
// d, so a test can watch build logs arrive while the build runs. By default a
// build finishes at once.
func WithBuildStepDelay(d time.Duration) Option {
	return func(o *options) { o.buildStepDelay = d }
}

// WithEntrypoints makes each sandbox run its entrypoint (the definition's
// entrypoint_args) as a local process in the sandbox's directory; the sandbox
// finishes when it exits, and its output is the sandbox's stdout and stderr.
// By default the entrypoint is recorded but not run, and a sandbox runs until
// it is terminated or times out.
func WithEntrypoints() Option { return func(o *options) { o.entrypoints = true } }

// WithBlobMultipart makes BlobCreate answer with a multipart upload (S3's
// protocol: one PUT per part, then a POST of the parts' ETags to a completion
// URL) for content longer than partLength, in parts of partLength bytes. By
// default every blob is uploaded with a single PUT.
func WithBlobMultipart(partLength int64) Option {
	return func(o *options) { o.blobPartLength = partLength }
}

// WithLatency delays every RPC by d, as SetLatency does.
func WithLatency(d time.Duration) Option { return func(o *options) { o.latency = d } }

// Server is a Modal control plane and task command router on loopback. Its
// methods are safe for concurrent use.
type Server struct {
	opts    options
	lis     net.Listener
	grpc    *grpc.Server
	httpLis net.Listener
	http    *http.Server
	url     string // http://127.0.0.1:PORT
	blobURL string // http://127.0.0.1:PORT of the blob endpoint
	root    string
	ownRoot bool

	closeOnce sync.Once
	closed    chan struct{}

	mu            sync.Mutex
	latency       time.Duration
	faults        []*faultRule
	calls         map[string]int // by full method name
	apps          map[string]*appRec
	appOrder      []*appRec
	environments  map[string]string // name → ID
	secrets       map[string]*secretRec
	namedSecrets  map[string]*secretRec
	images        map[string]*imageRec
	imagesByKey   map[string]*imageRec
	imageOrder    []*imageRec
	mounts        map[string]*mountRec
	mountOrder    []*mountRec
	files         map[string][]byte // mount file content by SHA-256 (hex)
	blobs         map[string]*blobRec
	bytesUploaded int64
	sandboxes     map[string]*sandboxRec
	sandboxOrder  []*sandboxRec
	tasks         map[string]*sandboxRec
	lastCreatedAt float64
}

type appRec struct {
	id, name, environment string
}

type secretRec struct {
	id, name string
	env      map[string]string
}

type blobRec struct {
	id       string
	length   int64
	data     []byte
	uploaded bool

	// A multipart upload: the part length, the number of parts, and the
	// parts received (by part number, from 1).
	partLength int64
	nparts     int
	parts      map[int][]byte
}

// NewServer starts a Server on 127.0.0.1 (or the address given by WithAddr).
// Call Close when done.
func NewServer(opts ...Option) (*Server, error) {
	o := options{
		addr:                "127.0.0.1:0",
		imageBuilderVersion: DefaultImageBuilderVersion,
		listPageSize:        DefaultListPageSize,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.listPageSize < 1 {
		return nil, fmt.Errorf("modaltest: list page size %d is not positive", o.listPageSize)
	}

	s := &Server{
		opts:         o,
		closed:       make(chan struct{}),
		latency:      o.latency,
		calls:        map[string]int{},
		apps:         map[string]*appRec{},
		environments: map[string]string{},
		secrets:      map[string]*secretRec{},
		namedSecrets: map[string]*secretRec{},
		images:       map[string]*imageRec{},
		imagesByKey:  map[string]*imageRec{},
		mounts:       map[string]*mountRec{},
		files:        map[string][]byte{},
		blobs:        map[string]*blobRec{},
		sandboxes:    map[string]*sandboxRec{},
		tasks:        map[string]*sandboxRec{},
	}

	s.root = o.dir
	if s.root == "" {
		dir, err := os.MkdirTemp("", "modaltest-")
		if err != nil {
			return nil, fmt.Errorf("modaltest: %w", err)
		}
		s.root, s.ownRoot = dir, true
	}

	lis, err := net.Listen("tcp", o.addr)
	if err != nil {
		s.removeRoot()
		return nil, fmt.Errorf("modaltest: %w", err)
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		lis.Close()
		s.removeRoot()
		return nil, fmt.Errorf("modaltest: %w", err)
	}
	s.lis, s.httpLis = lis, httpLis
	s.url = "http://" + lis.Addr().String()
	s.blobURL = "http://" + httpLis.Addr().String()

	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMessageSize),
		grpc.MaxSendMsgSize(maxMessageSize),
		// The SDK pings every 30 s, even without active streams; the default
		// policy (5 min) would answer with GOAWAY "too_many_pings".
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             5 * time.Second,
			PermitWithoutStream: true,
		}),
		grpc.ChainUnaryInterceptor(s.unaryInterceptor),
		grpc.ChainStreamInterceptor(s.streamInterceptor),
	)
	pb.RegisterModalClientServer(s.grpc, &controlPlane{s: s})
	pb.RegisterTaskCommandRouterServer(s.grpc, &router{s: s})
	go s.grpc.Serve(lis) //nolint:errcheck // Serve returns when Close stops it.

	s.http = &http.Server{Handler: http.HandlerFunc(s.serveBlob), ReadHeaderTimeout: 10 * time.Second}
	go s.http.Serve(httpLis) //nolint:errcheck // Serve returns when Close stops it.
	return s, nil
}

// URL returns the control plane's address as MODAL_SERVER_URL wants it:
// "http://127.0.0.1:PORT".
func (s *Server) URL() string { return s.url }

// routerURL is the command router's address as the SDK wants it. It is the
// control plane's port; the SDK dials it in plaintext because the server URL
// is on loopback.
func (s *Server) routerURL() string { return "https://" + s.lis.Addr().String() }

// Start starts a server for the test t, points t's SDK at it (Setenv) and
// closes it when t ends: what most tests want.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := NewServer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Setenv(t)
	return s
}

// Setenv points the SDK of the test t at this server: it sets Env (with
// a temporary directory of t's) through t.Setenv, which restores the
// environment when t ends.
func (s *Server) Setenv(t testing.TB) {
	for _, kv := range s.Env(t.TempDir()) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Env returns the environment, as KEY=VALUE entries, under which the SDK
// talks to this server and nothing else: MODAL_SERVER_URL, dummy
// MODAL_TOKEN_ID and MODAL_TOKEN_SECRET, MODAL_CONFIG_PATH pointing at a file
// in dir that does not exist (so ~/.modal.toml is not read),
// MODAL_MAX_THROTTLE_WAIT=0, and empty values for the other variables the SDK
// reads (profile, environment, OAuth, image builder version, sandbox backend),
// which it treats as unset.
func (s *Server) Env(dir string) []string {
	return []string{
		"MODAL_SERVER_URL=" + s.URL(),
		"MODAL_TOKEN_ID=ak-modaltest",
		"MODAL_TOKEN_SECRET=as-modaltest",
		"MODAL_CONFIG_PATH=" + filepath.Join(dir, "absent.toml"),
		"MODAL_MAX_THROTTLE_WAIT=0",
		"MODAL_PROFILE=",
		"MODAL_ENVIRONMENT=",
		"MODAL_IMAGE_BUILDER_VERSION=",
		"MODAL_SANDBOX_V2=",
		"MODAL_LOGLEVEL=",
		"MODAL_OAUTH_REFRESH_TOKEN=",
		"MODAL_OAUTH_CLIENT_ID=",
		"MODAL_OAUTH_CLIENT_SECRET=",
		"MODAL_OAUTH_JWT_KEY=",
	}
}

// Close stops the servers, kills every process the sandboxes run, and removes
// the sandboxes' directories if the server made them. Output and state stay
// readable through State.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.grpc.Stop()
		s.http.Close()
		s.mu.Lock()
		running := make([]*sandboxRec, 0, len(s.sandboxOrder))
		for _, sb := range s.sandboxOrder {
			if sb.result == nil {
				running = append(running, sb)
			}
		}
		s.mu.Unlock()
		for _, sb := range running {
			s.finishSandbox(sb, terminatedResult())
		}
		s.removeRoot()
	})
}

func (s *Server) removeRoot() {
	if s.ownRoot {
		// A killed process may still be going away; one retry covers a
		// directory that was not yet empty.
		if err := os.RemoveAll(s.root); err != nil {
			time.Sleep(50 * time.Millisecond)
			os.RemoveAll(s.root)
		}
	}
}

// SetLatency delays every RPC (unary calls and stream openings, on both
// services) by d. Zero removes the delay.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Fail installs a fault for an RPC, named by its short name
// ("SandboxCreateV2") or full method name. Several faults may be installed for
// one RPC; the first that applies to a call wins.
func (s *Server) Fail(rpc string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{rpc: rpc, fault: f})
}

// ClearFaults removes every installed fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// AddSecret registers a named secret, found by SecretGetOrCreate (and so by the
// SDK's Secrets.FromName) in every environment. It replaces a secret of the
// same name.
func (s *Server) AddSecret(name string, env map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addSecretLocked(name, env)
}

func (s *Server) addSecretLocked(name string, env map[string]string) *secretRec {
	sec := &secretRec{id: newID("st-"), name: name, env: cloneMap(env)}
	s.secrets[sec.id] = sec
	if name != "" {
		s.namedSecrets[name] = sec
	}
	return sec
}

// admit records a call and returns the fault that applies to it, if any, and
// the latency to apply.
func (s *Server) admit(fullMethod string) (*faultRule, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[fullMethod]++
	var hit *faultRule
	for _, r := range s.faults {
		if r.matches(fullMethod) && r.hit() && hit == nil {
			hit = r
		}
	}
	return hit, s.latency
}

// delay waits d unless ctx ends first.
func (s *Server) delay(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return errClosed
	}
}

var errClosed = errors.New("modaltest: server closed")

// await blocks a long poll or a stream until changed is closed (it
// returns false, nil), the deadline passes (nil deadline: never; it returns
// true, nil), the call's ctx ends, or the server closes: those two are the
// status errors a client would see.
func (s *Server) await(ctx context.Context, changed <-chan struct{}, deadline <-chan time.Time) (timedOut bool, err error) {
	select {
	case <-changed:
		return false, nil
	case <-deadline:
		return true, nil
	case <-ctx.Done():
		return false, status.FromContextError(ctx.Err()).Err()
	case <-s.closed:
		return false, status.Error(codes.Unavailable, "server closed")
	}
}

func (s *Server) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	rule, latency := s.admit(info.FullMethod)
	if err := s.delay(ctx, latency); err != nil {
		return nil, err
	}
	if rule != nil && rule.fault.Kind != AfterCommit {
		return nil, rule.err(info.FullMethod)
	}
	resp, err := handler(ctx, req)
	if rule != nil {
		return nil, rule.err(info.FullMethod)
	}
	return resp, err
}

func (s *Server) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	rule, latency := s.admit(info.FullMethod)
	if err := s.delay(ss.Context(), latency); err != nil {
		return err
	}
	if rule != nil && rule.fault.Kind != AfterCommit {
		return rule.err(info.FullMethod)
	}
	if rule != nil {
		// The stream runs to its end, but the client hears none of it.
		_ = handler(srv, silentStream{ss})
		return rule.err(info.FullMethod)
	}
	return handler(srv, ss)
}

// silentStream drops every message the handler sends.
type silentStream struct{ grpc.ServerStream }

func (silentStream) SendMsg(any) error { return nil }

// newID returns prefix followed by 22 random base62 characters, the shape of
// Modal's object IDs (and of V1 sandbox IDs, for the "sb-" prefix).
func newID(prefix string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 22)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return prefix + string(b)
}

// newV2SandboxID returns an ID that the SDK routes to the V2 RPCs: anything
// but "sb-" followed by exactly 22 base62 characters.
func newV2SandboxID() string { return newID("sb-v2-")[:len("sb-v2-")+20] }

// newJWT returns an unsigned three-part JWT whose payload carries exp (an hour
// from now) and the given claims. The SDK reads exp and never checks the
// signature.
func newJWT(claims map[string]any) string {
	payload := map[string]any{"exp": time.Now().Add(time.Hour).Unix(), "iss": "modaltest"}
	for k, v := range claims {
		payload[k] = v
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(payload) + ".modaltest"
}

// normEnv maps an empty environment name to the default one.
func normEnv(name string) string {
	if name == "" {
		return defaultEnvironment
	}
	return name
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// now returns the current time as Modal's float seconds since the epoch.
func now() float64 { return float64(time.Now().UnixMicro()) / 1e6 }

// floatTime converts Modal's float seconds to a time.Time (zero for 0).
func floatTime(t float64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(t * 1e6))
}
