package lower

// A Spec is one sandbox to create, and the image it runs.
type Spec struct {
	Source  SourceRef
	App     string // the Modal app: "inspect_modal_sandbox"
	Image   Image
	Sandbox Sandbox
}

// SourceRef says where a Spec came from.
type SourceRef struct {
	Kind    string // "compose", "dockerfile" or "default"
	Path    string // the input file (or directory), forward slashes
	Service string // the compose service; empty otherwise
}

// Image kinds.
const (
	ImageRegistry   = "registry"
	ImageDockerfile = "dockerfile"
	ImageDefault    = "default"
)

// DefaultPython is the Python version of Modal's default image.
const DefaultPython = "3.12"

// An Image is what the sandbox runs.
type Image struct {
	Kind string // ImageRegistry, ImageDockerfile or ImageDefault

	Ref string // registry: the image reference

	// dockerfile: paths relative to the input's directory, forward slashes.
	Dockerfile string
	Context    string
	BuildArgs  map[string]string
	Target     string
	// The build context manifest, summed up: how many files the build
	// reads from the context, their total size in bytes, and the
	// manifest's digest ("sha256:…", see parse.Manifest). ContextDigest is
	// empty when the context was not read.
	ContextFiles  int
	ContextBytes  int64
	ContextDigest string

	Python string // default: the Python version
}

// A Sandbox holds the parameters of Modal's sandbox create call.
type Sandbox struct {
	Command []string // argv: entrypoint then command; nil = the image's own
	Workdir string   // absolute; empty = the image's own

	// Env holds the real values. EnvFromFile marks the keys whose value
	// came from an env_file: those values are secret and never printed.
	// EnvShown holds, for keys whose value was interpolated, the value as
	// the compose file wrote it ("${TOKEN}"), which is what a plan shows.
	Env         map[string]string
	EnvFromFile map[string]string // key → display path of the env_file
	EnvShown    map[string]string

	CPU         float64 // cores requested; 0 = Modal's default
	CPULimit    float64 // cores; 0 = no limit
	Memory      int     // MiB requested; 0 = Modal's default
	MemoryLimit int     // MiB; 0 = no limit
	GPU         string  // "TYPE" or "TYPE:COUNT"; empty = none

	Timeout     int // seconds; always set (default 86400)
	IdleTimeout int // seconds; 0 = none

	BlockNetwork bool
	// CIDRAllowlist is nil when unset; an empty, non-nil list is kept: it
	// allows no address.
	CIDRAllowlist []string
	Cloud         string
	Regions       []string
	Secrets       []string // Modal secret names
	PTY           bool

	EncryptedPorts   []int
	H2Ports          []int
	UnencryptedPorts []int
	CustomDomain     string
	Verbose          bool

	Tags map[string]string // always includes created_by
}

// The defaults DESIGN sets.
const (
	AppName        = "inspect_modal_sandbox"
	DefaultTimeout = 86400 // seconds; Modal's own default is 300
)

// CreatedByTag is the tag Inspect's own cleanup looks for.
var CreatedByTag = map[string]string{"created_by": "inspect-ai"}
