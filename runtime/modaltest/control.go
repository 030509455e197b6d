package modaltest

import (
	"context"
	"slices"
	"strings"

	pb "github.com/modal-labs/modal-client/go/proto/modal_proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// controlPlane implements modal.client.ModalClient. Methods not defined here
// answer UNIMPLEMENTED.
type controlPlane struct {
	pb.UnimplementedModalClientServer
	s *Server
}

// AuthTokenGet returns an unsigned JWT with an exp claim. It wants the
// credentials the SDK sends (token ID and secret, or an OAuth refresh token)
// but does not check them; the SDK sends every header twice on this call.
func (c *controlPlane) AuthTokenGet(ctx context.Context, _ *pb.AuthTokenGetRequest) (*pb.AuthTokenGetResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	id := md.Get("x-modal-token-id")
	if len(id) == 0 && len(md.Get("x-modal-refresh-token")) == 0 {
		return nil, status.Error(codes.Unauthenticated, "modaltest: no credentials (x-modal-token-id or x-modal-refresh-token)")
	}
	sub := "oauth"
	if len(id) > 0 {
		sub = id[0]
	}
	return pb.AuthTokenGetResponse_builder{Token: newJWT(map[string]any{"sub": sub})}.Build(), nil
}

// AppGetOrCreate looks an app up by environment and name, creating it for
// CREATE_IF_MISSING (and the other creating types); a missing app is NOT_FOUND
// otherwise.
func (c *controlPlane) AppGetOrCreate(_ context.Context, req *pb.AppGetOrCreateRequest) (*pb.AppGetOrCreateResponse, error) {
	if req.GetAppName() == "" {
		return nil, status.Error(codes.InvalidArgument, "app name is empty")
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	env := normEnv(req.GetEnvironmentName())
	app := s.appByNameLocked(env, req.GetAppName())
	switch req.GetObjectCreationType() {
	case pb.ObjectCreationType_OBJECT_CREATION_TYPE_UNSPECIFIED:
		if app == nil {
			return nil, status.Errorf(codes.NotFound, "App '%s' not found in environment '%s'", req.GetAppName(), env)
		}
	case pb.ObjectCreationType_OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS:
		if app != nil {
			return nil, status.Errorf(codes.AlreadyExists, "App '%s' already exists in environment '%s'", req.GetAppName(), env)
		}
		fallthrough
	default:
		if app == nil {
			app = &appRec{id: newID("ap-"), name: req.GetAppName(), environment: env}
			s.apps[app.id] = app
			s.appOrder = append(s.appOrder, app)
		}
	}
	return pb.AppGetOrCreateResponse_builder{
		AppId: app.id,
		HandleMetadata: pb.AppHandleMetadata_builder{
			AppId:           app.id,
			EnvironmentName: app.environment,
		}.Build(),
	}.Build(), nil
}

func (s *Server) appByNameLocked(env, name string) *appRec {
	for _, a := range s.appOrder {
		if a.environment == env && a.name == name {
			return a
		}
	}
	return nil
}

// EnvironmentGetOrCreate answers for any environment name, with the image
// builder version the server was configured with.
func (c *controlPlane) EnvironmentGetOrCreate(_ context.Context, req *pb.EnvironmentGetOrCreateRequest) (*pb.EnvironmentGetOrCreateResponse, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	name := normEnv(req.GetDeploymentName())
	id, ok := s.environments[name]
	if !ok {
		id = newID("en-")
		s.environments[name] = id
	}
	return pb.EnvironmentGetOrCreateResponse_builder{
		EnvironmentId: id,
		Metadata: pb.EnvironmentMetadata_builder{
			Name: name,
			Settings: pb.EnvironmentSettings_builder{
				ImageBuilderVersion: s.opts.imageBuilderVersion,
				WebhookSuffix:       "modaltest.invalid",
			}.Build(),
		}.Build(),
	}.Build(), nil
}

// SecretGetOrCreate finds a named secret registered with AddSecret (NOT_FOUND
// if there is none, or if it lacks one of required_keys), creates an anonymous
// one from env_dict for EPHEMERAL and ANONYMOUS_OWNED_BY_APP, and creates or
// replaces a named one for the creating types.
func (c *controlPlane) SecretGetOrCreate(_ context.Context, req *pb.SecretGetOrCreateRequest) (*pb.SecretGetOrCreateResponse, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	name := req.GetDeploymentName()
	var sec *secretRec
	switch req.GetObjectCreationType() {
	case pb.ObjectCreationType_OBJECT_CREATION_TYPE_EPHEMERAL, pb.ObjectCreationType_OBJECT_CREATION_TYPE_ANONYMOUS_OWNED_BY_APP:
		sec = s.addSecretLocked("", req.GetEnvDict())
	case pb.ObjectCreationType_OBJECT_CREATION_TYPE_UNSPECIFIED:
		sec = s.namedSecrets[name]
		if sec == nil || name == "" {
			return nil, status.Errorf(codes.NotFound, "Secret '%s' not found", name)
		}
	case pb.ObjectCreationType_OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS:
		if s.namedSecrets[name] != nil {
			return nil, status.Errorf(codes.AlreadyExists, "Secret '%s' already exists", name)
		}
		sec = s.addSecretLocked(name, req.GetEnvDict())
	case pb.ObjectCreationType_OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
		if sec = s.namedSecrets[name]; sec == nil {
			sec = s.addSecretLocked(name, req.GetEnvDict())
		}
	default:
		sec = s.addSecretLocked(name, req.GetEnvDict())
	}
	var missing []string
	for _, k := range req.GetRequiredKeys() {
		if _, ok := sec.env[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, status.Errorf(codes.NotFound, "Secret '%s' is missing the following required key(s): %s", name, strings.Join(missing, ", "))
	}
	return pb.SecretGetOrCreateResponse_builder{SecretId: sec.id}.Build(), nil
}
